"""Files an app writes, compared for what they mean.

Two saves of the same model are not the same bytes: a TorchScript archive carries a random
serialization id and debug tables with the saving frame's line numbers, a ``.keras`` zip the
date it was saved, every zip its members' timestamps, HDF5 its objects' creation times. Each
such part has a name (``EXCLUSIONS``, listed in the README) and is left out; everything else
(code, constants, tensors, configs, weights) is compared strictly, and a mismatch names the
member and what differs in it. Nothing here imports torch, TensorFlow or Keras: zips are read
with ``zipfile``, pickles with ``pickletools``, HDF5 with h5py when it is installed.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import io
import itertools
import json
import pickletools
import re
import zipfile
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import numpy as np

from pytest_nuitka.base.errors import NuitkaPluginError
from pytest_nuitka.check.difference import Comparator, Difference, compare_array, table

# Names of what is left out, with why; the README lists the same.
EXCLUSIONS = {
    "zip-metadata": "a zip member's timestamp, permissions and compression: when and how it "
    "was written, not what",
    "torch-serialization-id": "<archive>/.data/serialization_id: a random id per save",
    "torchscript-debug-info": "<archive>/code/**.debug_pkl: source ranges (file, line) of the "
    "Python the module was scripted or traced from, used only to print TorchScript errors",
    "keras-save-date": "metadata.json's date_saved in a .keras zip",
    "h5-object-times": "HDF5 objects' creation and modification times (h5py records them)",
    "savedmodel-uuid": "fingerprint.pb's uuid field: a random id per save",
}
ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DIFF_GAIN = 10  # a diff image's |script - binary| is scaled by this, as matplotlib's is
SHOWN = 12  # diff lines shown per member


def _bytes(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return None


def excluded(name: str, patterns: Iterable[str]) -> bool:
    return any(name == p or fnmatch.fnmatchcase(name, p) for p in patterns)


def registered(name: str, comparators: Mapping[str, Comparator | str]) -> Comparator | None:
    """The comparator given for this output name, else for the first file pattern it
    matches; a string names a built-in (``BUILTIN``) or ``module:function``."""
    chosen = comparators.get(name)
    if chosen is None:
        for pattern, comparator in comparators.items():
            if fnmatch.fnmatchcase(name, pattern):
                chosen = comparator
                break
    return resolve(chosen) if chosen is not None else None


class ComparatorError(NuitkaPluginError, ValueError):
    """A comparator named by a string that is not one."""


# module:function: a dotted module name, one colon, a name in the module
SPEC = re.compile(r"[\w.]+:\w+")


def check_name(spec: str) -> str:
    """A built-in's name or ``module:function`` (imported only when used: the module may be
    the test's own)."""
    if spec not in BUILTIN and not SPEC.fullmatch(spec):
        raise ComparatorError(
            f"comparator {spec!r}: give a built-in ({', '.join(BUILTIN)}) or module:function"
        )
    return spec


def resolve(spec: Comparator | str) -> Comparator:
    if not isinstance(spec, str):
        return spec
    if check_name(spec) in BUILTIN:
        return BUILTIN[spec]
    module, _, attribute = spec.partition(":")
    try:
        found: Comparator = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as error:
        raise ComparatorError(f"comparator {spec!r}: {type(error).__name__}: {error}") from None
    if not callable(found):
        raise ComparatorError(f"comparator {spec!r}: {module}.{attribute} is not callable")
    return found


def detect(name: str, value: Any) -> Comparator | None:
    """The format's comparator, from the content (zip, HDF5, PNG) or the name
    (fingerprint.pb)."""
    raw = _bytes(value)
    if raw is None:
        return None
    if raw.startswith(ZIP_MAGIC):
        return compare_zip
    if raw.startswith(HDF5_MAGIC):
        return compare_h5
    if raw.startswith(PNG_MAGIC):
        return compare_image
    if name == "fingerprint.pb" or name.endswith("/fingerprint.pb"):
        return compare_fingerprint
    return None


# -- zips: TorchScript / torch.save archives, .keras, any other ------------------------------


def _members(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


class Archive(StrEnum):
    """The kinds of zip compared member by member, each with what it leaves out."""

    TORCH = "torch archive"
    KERAS = ".keras archive"
    ZIP = "zip"


def _kind(members: Mapping[str, bytes]) -> Archive:
    names = list(members)
    if any(n.endswith("/data.pkl") or n.endswith("/constants.pkl") for n in names):
        return Archive.TORCH
    if "config.json" in members and any(n.endswith(".weights.h5") for n in names):
        return Archive.KERAS
    return Archive.ZIP


def _ignored(kind: Archive, member: str) -> str | None:
    """The exclusion that leaves this member out, if any."""
    if kind is Archive.TORCH:
        if member.endswith("/.data/serialization_id"):
            return "torch-serialization-id"
        if member.endswith(".debug_pkl"):
            return "torchscript-debug-info"
    return None


def compare_zip(name: str, script: Any, binary: Any, rtol: float, atol: float) -> Difference | None:
    """Members by name and content; zip metadata is left out, and per kind what
    ``EXCLUSIONS`` names. Members are compared by their own format (JSON, HDF5, pickle)."""
    left_raw, right_raw = _bytes(script), _bytes(binary)
    if left_raw is None or right_raw is None:
        return Difference(
            name, f"  not both files: {type(script).__name__}, {type(binary).__name__}"
        )
    try:
        left, right = _members(left_raw), _members(right_raw)
    except zipfile.BadZipFile:
        return compare_bytes(name, left_raw, right_raw, rtol, atol)
    kind = _kind(left)
    skipped = sorted({why for m in {*left, *right} if (why := _ignored(kind, m))})
    if kind is Archive.KERAS:
        skipped.append("keras-save-date")
    found: list[str] = []
    only = sorted(m for m in left.keys() ^ right.keys() if not _ignored(kind, m))
    for member in only:
        found.append(f"  member {member}: only in the {'script' if member in left else 'binary'}'s")
    for member in sorted(left.keys() & right.keys()):
        if _ignored(kind, member) or left[member] == right[member]:
            continue
        detail = _member_difference(kind, member, left[member], right[member], rtol, atol)
        if detail:
            found.append(f"  member {member} differs:\n{detail}")
    if not found:
        return None
    header = f"  {kind}; left out: zip-metadata" + "".join(f", {s}" for s in skipped)
    return Difference(name, header + "\n" + "\n".join(found))


def _member_difference(
    kind: Archive, member: str, left: bytes, right: bytes, rtol: float, atol: float
) -> str | None:
    if member.endswith(".json"):
        try:
            a, b = json.loads(left), json.loads(right)
        except ValueError:
            pass
        else:
            if kind is Archive.KERAS and member == "metadata.json":
                a, b = dict(a), dict(b)
                a.pop("date_saved", None)
                b.pop("date_saved", None)
            return _text_diff(_json_lines(a), _json_lines(b)) if a != b else None
    if left.startswith(HDF5_MAGIC) and right.startswith(HDF5_MAGIC):
        difference = compare_h5(member, left, right, rtol, atol)
        return None if difference is None else str(difference.detail)
    if member.endswith(".pkl"):
        return _text_diff(_pickle_lines(left), _pickle_lines(right))
    try:
        return _text_diff(left.decode("utf-8").splitlines(), right.decode("utf-8").splitlines())
    except UnicodeDecodeError:
        return _byte_summary(left, right)


def _json_lines(value: Any) -> list[str]:
    return json.dumps(value, indent=1, sort_keys=True).splitlines()


def _pickle_lines(raw: bytes) -> list[str]:
    """The pickle's opcodes without their byte offsets, so one inserted byte does not
    shift every line of the diff."""
    out = io.StringIO()
    try:
        pickletools.dis(raw, out=out, annotate=0)
    except Exception as error:  # a malformed pickle is shown, not raised
        return [f"(not a readable pickle: {error})"]
    return [line.split(":", 1)[-1].strip() for line in out.getvalue().splitlines()]


def _text_diff(left: list[str], right: list[str]) -> str:
    lines = list(difflib.unified_diff(left, right, "script", "binary", lineterm="", n=1))
    shown = lines[:SHOWN] + (
        [f"... {len(lines) - SHOWN} more diff lines"] if len(lines) > SHOWN else []
    )
    return "\n".join("    " + line for line in shown)


def _byte_summary(left: bytes, right: bytes) -> str:
    if len(left) != len(right):
        return f"    {len(left)} bytes in the script's, {len(right)} in the binary's"
    first = next(i for i, (a, b) in enumerate(zip(left, right, strict=True)) if a != b)
    count = sum(a != b for a, b in zip(left, right, strict=True))
    return f"    {count} of {len(left)} bytes differ, the first at offset {first}"


def compare_bytes(
    name: str, script: Any, binary: Any, rtol: float, atol: float
) -> Difference | None:
    left, right = _bytes(script), _bytes(binary)
    if left is None or right is None or left == right:
        return None if left == right else Difference(name, "  not both files")
    return Difference(name, _byte_summary(left, right))


# -- HDF5 (.h5, .weights.h5, and inside .keras) ---------------------------------------------


def compare_h5(name: str, script: Any, binary: Any, rtol: float, atol: float) -> Difference | None:
    """Groups, datasets (dtype, shape, values within rtol/atol) and attributes; the
    objects' times are left out. Without h5py, byte for byte."""
    left, right = _bytes(script), _bytes(binary)
    if left is None or right is None:
        return Difference(name, "  not both files")
    try:
        import h5py
    except ImportError:
        if left == right:
            return None
        return Difference(
            name,
            "  HDF5, compared byte for byte (install h5py to compare by content):\n"
            + _byte_summary(left, right),
        )
    a, b = _h5_items(h5py, left), _h5_items(h5py, right)
    found = []
    for key in sorted(a.keys() | b.keys()):
        if key not in a or key not in b:
            found.append(f"  {key}: only in the {'script' if key in a else 'binary'}'s")
            continue
        x, y = a[key], b[key]
        if isinstance(x, np.ndarray) and isinstance(y, np.ndarray):
            difference = compare_array(key, x, y, rtol, atol)
            if difference:
                found.append(f"  dataset {key}:\n{difference.detail}")
        elif not _same_value(x, y):
            found.append(f"  {key}:\n    script: {x!r:.200}\n    binary: {y!r:.200}")
    if not found:
        return None
    return Difference(name, "  HDF5; left out: h5-object-times\n" + "\n".join(found[:SHOWN]))


def _same_value(x: Any, y: Any) -> bool:
    """Two values that are not both arrays (those are compare_array's): the same type, then
    the same value. h5py reads no attribute as a 0-d array, so an array and a scalar differ."""
    return type(x) is type(y) and bool(x == y)


def _h5_items(h5py: Any, raw: bytes) -> dict[str, Any]:
    """path -> array (datasets), path@attr -> value, path/ -> "group"."""
    items: dict[str, Any] = {}
    with h5py.File(io.BytesIO(raw), "r") as handle:

        def visit(path: str, node: Any) -> None:
            if isinstance(node, h5py.Dataset):
                items[path] = np.asarray(node[()])
            else:
                items[path + "/"] = "group"
            for attr, value in node.attrs.items():
                items[f"{path}@{attr}"] = value

        for attr, value in handle.attrs.items():
            items[f"/@{attr}"] = value
        handle.visititems(visit)
    return items


# -- SavedModel fingerprint.pb ---------------------------------------------------------------


def _protobuf_fields(raw: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) of one protobuf message, read without its schema."""
    fields, i = [], 0

    def varint() -> int:
        nonlocal i
        shift = result = 0
        while True:
            byte = raw[i]
            i += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    while i < len(raw):
        key = varint()
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value = varint()
        elif wire == 1:
            value, i = raw[i : i + 8], i + 8
        elif wire == 2:
            size = varint()
            value, i = raw[i : i + size], i + size
        elif wire == 5:
            value, i = raw[i : i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        fields.append((number, wire, value))
    return fields


FINGERPRINT_FIELDS = {
    1: "saved_model_checksum",
    2: "graph_def_program_hash",
    3: "signature_def_hash",
    4: "saved_object_graph_hash",
    5: "checkpoint_hash",
    6: "version",
    7: "uuid",
}


def compare_fingerprint(
    name: str, script: Any, binary: Any, rtol: float, atol: float
) -> Difference | None:
    """A SavedModel's fingerprint: every hash, not the uuid (``savedmodel-uuid``)."""
    left, right = _bytes(script), _bytes(binary)
    if left is None or right is None:
        return Difference(name, "  not both files")
    try:
        a = [f for f in _protobuf_fields(left) if f[0] != 7]
        b = [f for f in _protobuf_fields(right) if f[0] != 7]
    except (IndexError, ValueError):
        return compare_bytes(name, left, right, rtol, atol)
    if a == b:
        return None
    rows = [
        f"  {_field_name(x or y)}: script {_field_value(x)}, binary {_field_value(y)}"
        for x, y in itertools.zip_longest(a, b)
        if x != y
    ]
    return Difference(
        name, "  SavedModel fingerprint; left out: savedmodel-uuid\n" + "\n".join(rows)
    )


def _field_name(field: tuple[int, int, Any]) -> str:
    return str(FINGERPRINT_FIELDS.get(field[0], field[0]))


def _field_value(field: tuple[int, int, Any] | None) -> str:
    return "(absent)" if field is None else repr(field[2])


# -- images (PNG found by content; any format Pillow reads when named "image") ---------------


def compare_image(
    name: str, script: Any, binary: Any, rtol: float, atol: float
) -> Difference | None:
    """Decoded pixels, not bytes: chunks that are not pixels (text, times, the writer's
    version) are left out. ``atol`` is the tolerance: the largest RMS of the pixel
    differences, over 0-255 channel values, as ``matplotlib.testing.compare.compare_images``'s
    ``tol`` (0, the default: every pixel equal); ``rtol`` is not used. Two opaque images are
    compared in RGB, else both in RGBA (so the RMS is matplotlib's). A failure shows the size,
    the RMS, how many pixels differ and the box around them, and carries a diff image
    (``|script - binary|`` x 10, opaque: matplotlib's ``*-failed-diff.png``) in
    ``Difference.files``, kept with the failure. Without matplotlib (and the Pillow it
    requires), byte for byte, and the message says so."""
    left, right = _bytes(script), _bytes(binary)
    if left is None or right is None:
        return Difference(
            name, f"  not both files: {type(script).__name__}, {type(binary).__name__}"
        )
    if left == right:
        return None
    try:
        from matplotlib.testing.compare import calculate_rms
        from PIL import Image
    except ImportError:
        return Difference(
            name,
            "  image, compared byte for byte (install matplotlib to compare by pixels):\n"
            + _byte_summary(left, right),
        )
    decoded = []
    for side, raw in (("script", left), ("binary", right)):
        try:
            with Image.open(io.BytesIO(raw)) as image:
                decoded.append((image.size, image.mode, np.asarray(image.convert("RGBA"))))
        except (OSError, ValueError) as error:  # UnidentifiedImageError is an OSError
            return Difference(
                name,
                f"  the {side}'s is not an image Pillow reads ({error}); byte for byte:\n"
                + _byte_summary(left, right),
            )
    (size_a, mode_a, a), (size_b, mode_b, b) = decoded
    if size_a != size_b:
        return Difference(
            name,
            "  the images differ in size:\n"
            + table(
                ["side", "width x height", "mode"],
                [["script", _size(size_a), mode_a], ["binary", _size(size_b), mode_b]],
            ),
        )
    if a[..., 3].min() == 255 and b[..., 3].min() == 255:
        a, b = a[..., :3], b[..., :3]
    signed_a, signed_b = a.astype(np.int16), b.astype(np.int16)
    gap = np.abs(signed_a - signed_b)
    differs = gap.any(axis=-1)
    count = int(differs.sum())
    if not count:
        return None  # the same pixels in other bytes
    rms = float(calculate_rms(signed_a, signed_b))
    if rms <= atol:
        return None
    ys, xs = np.nonzero(differs)
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max())
    channels = "RGB" if a.shape[-1] == 3 else "RGBA"
    worst = np.unravel_index(int(gap.argmax()), gap.shape)
    file = name.replace("/", "__") + "-diff.png"
    rows = [
        ["size", f"{_size(size_a)}, compared as {channels} (script {mode_a}, binary {mode_b})"],
        ["RMS", f"{rms:.4g} over 0-255 (tolerance: atol={atol:g})"],
        ["pixels differ", f"{count} of {differs.size} ({count / differs.size:.2%})"],
        ["region", f"x {x0}..{x1}, y {y0}..{y1} ({x1 - x0 + 1}x{y1 - y0 + 1} pixels)"],
        [
            "largest",
            f"{int(gap.max())} in {channels[worst[2]]} at x {worst[1]}, y {worst[0]}: "
            f"script {int(a[worst])}, binary {int(b[worst])}",
        ],
        ["diff image", f"{file} (|script - binary| x {DIFF_GAIN})"],
    ]
    diff = np.clip(gap * DIFF_GAIN, 0, 255).astype(np.uint8)
    if diff.shape[-1] == 4:
        diff[..., 3] = 255
    encoded = io.BytesIO()
    Image.fromarray(diff).save(encoded, format="png")
    return Difference(name, table(["image", "script vs binary"], rows), {file: encoded.getvalue()})


def _size(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def compare_text(
    name: str, script: Any, binary: Any, rtol: float, atol: float
) -> Difference | None:
    if script == binary:
        return None
    return Difference(name, _text_diff(str(script).splitlines(), str(binary).splitlines()))


BUILTIN: dict[str, Comparator] = {
    "zip": compare_zip,
    "torch": compare_zip,
    "torchscript": compare_zip,
    "keras": compare_zip,
    "h5": compare_h5,
    "savedmodel-fingerprint": compare_fingerprint,
    "bytes": compare_bytes,
    "text": compare_text,
    "image": compare_image,
}
