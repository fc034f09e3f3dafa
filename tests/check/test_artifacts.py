"""What a failing artifact comparison says, whole: the kind of file, what was left out and
why, each member that differs in its own format (JSON, pickle opcodes, text). Written by hand
from the formats, so that a message that names the wrong side, loses a member or drops what
was left out fails here (mutation testing found these unchecked)."""

from __future__ import annotations

import io
import json
import pickle
import sys
import zipfile

import numpy as np
import pytest

from pytest_nuitka.check import artifacts


def archive(members: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as written:
        for name, data in members.items():
            written.writestr(name, data)
    return buffer.getvalue()


def test_a_keras_archive_by_member_without_its_save_date() -> None:
    def keras(a: int, saved: str, weights: bytes, extra: bool = False) -> bytes:
        members: dict[str, str | bytes] = {
            "config.json": json.dumps({"a": a, "b": [1, 2]}),
            "metadata.json": json.dumps({"keras_version": "3.1", "date_saved": saved}),
            "model.weights.h5": weights,
        }
        if extra:
            members["assets/vocab.txt"] = "x"
        return archive(members)

    script = keras(1, "2026-01-01", b"w1")
    binary = keras(2, "2026-02-02", b"w2", extra=True)
    difference = artifacts.compare_zip("model.keras", script, binary, 0, 0)
    assert difference is not None
    assert difference.title == "model.keras"
    assert difference.detail == "\n".join(
        [
            "  .keras archive; left out: zip-metadata, keras-save-date",
            "  member assets/vocab.txt: only in the binary's",
            "  member config.json differs:",
            "    --- script",
            "    +++ binary",
            "    @@ -1,3 +1,3 @@",
            "     {",
            '    - "a": 1,',
            '    + "a": 2,',
            '      "b": [',
            "  member model.weights.h5 differs:",
            "    --- script",
            "    +++ binary",
            "    @@ -1 +1 @@",
            "    -w1",
            "    +w2",
        ]
    )
    assert artifacts.compare_zip("m.keras", script, keras(1, "2027-03-03", b"w1"), 0, 0) is None


def test_a_torch_archive_by_pickle_opcodes_without_its_random_ids() -> None:
    def torch(weight: int, serial: str, debug: str, extra: bool) -> bytes:
        members: dict[str, str | bytes] = {
            "archive/data.pkl": pickle.dumps({"w": weight}, protocol=2),
            "archive/constants.pkl": pickle.dumps((), protocol=2),
            "archive/.data/serialization_id": serial,
            "archive/code/__torch__.py.debug_pkl": debug,
            "archive/version": f"{weight + 2}\n",
        }
        if extra:
            members["archive/extra"] = "x"
        return archive(members)

    difference = artifacts.compare_zip(
        "model.pt", torch(1, "id-1", "line 3", True), torch(2, "id-2", "line 4", False), 0, 0
    )
    assert difference is not None
    assert difference.detail == "\n".join(
        [
            "  torch archive; left out: zip-metadata, torch-serialization-id, "
            "torchscript-debug-info",
            "  member archive/extra: only in the script's",
            "  member archive/data.pkl differs:",
            "    --- script",
            "    +++ binary",
            "    @@ -5,3 +5,3 @@",
            "     q    BINPUT     1",
            "    -K    BININT1    1",
            "    +K    BININT1    2",
            "     s    SETITEM",
            "  member archive/version differs:",
            "    --- script",
            "    +++ binary",
            "    @@ -1 +1 @@",
            "    -3",
            "    +4",
        ]
    )
    same = artifacts.compare_zip(
        "model.pt", torch(1, "id-1", "line 3", False), torch(1, "id-9", "line 9", False), 0, 0
    )
    assert same is None


def test_a_plain_zip_and_what_is_not_one() -> None:
    difference = artifacts.compare_zip(
        "x.zip", archive({"a.txt": "one\ntwo\n"}), archive({"a.txt": "one\nthree\n"}), 0, 0
    )
    assert difference is not None
    assert difference.detail == "\n".join(
        [
            "  zip; left out: zip-metadata",
            "  member a.txt differs:",
            "    --- script",
            "    +++ binary",
            "    @@ -1,2 +1,2 @@",
            "     one",
            "    -two",
            "    +three",
        ]
    )
    not_files = artifacts.compare_zip("x.zip", 5, b"PK", 0, 0)
    assert not_files is not None
    assert not_files.detail == "  not both files: int, bytes"


def test_an_hdf5_file_by_attribute_dataset_and_member() -> None:
    h5py = pytest.importorskip("h5py")

    def saved(kernel: list[float], extra: bool = False, version: str = "v1") -> bytes:
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as written:
            written.create_group("dense").create_dataset(
                "kernel", data=np.array(kernel, dtype="float32")
            )
            written.attrs["version"] = version
            if extra:
                written.create_dataset("extra", data=np.arange(3))
        return buffer.getvalue()

    difference = artifacts.compare_h5(
        "w.h5", saved([1.0, 2.0]), saved([1.0, 2.5], extra=True, version="v2"), 0, 0
    )
    assert difference is not None and difference.title == "w.h5"
    assert difference.detail == "\n".join(
        [
            "  HDF5; left out: h5-object-times",
            "  /@version:",
            "    script: 'v1'",
            "    binary: 'v2'",
            "  dataset dense/kernel:",
            "  1 of 2 elements differ (bit-identical); worst 1:",
            "  index  script  binary  |diff|  rel",
            "  (1,)   2.0     2.5     0.5     0.25",
            "  passes with atol=0.5 (rtol=0) or rtol=0.2 (atol=0; of the binary's)",
            "  argmax over the last axis still agrees in all 1 row(s)",
            "  extra: only in the binary's",
        ]
    )
    within = artifacts.compare_h5("w.h5", saved([1.0, 2.0]), saved([1.0, 2.0001]), 1e-3, 0)
    assert within is None


def fingerprint(*fields: tuple[int, int, int | bytes]) -> bytes:
    """Protocol buffer fields as the SavedModel fingerprint writes them: varints (wire 0),
    fixed 64-bit values (wire 1), length-delimited bytes (wire 2)."""
    out = b""
    for field, wire, value in fields:
        out += bytes([field << 3 | wire])
        if isinstance(value, bytes):
            out += bytes([len(value)]) + value
        elif wire == 1:
            out += value.to_bytes(8, "little")
        else:
            while True:
                low, value = value & 0x7F, value >> 7
                out += bytes([low | (0x80 if value else 0)])
                if not value:
                    break
    return out


def test_a_fingerprint_by_field_of_every_wire_type() -> None:
    script = fingerprint((1, 0, 300), (6, 2, b"abc"), (2, 1, 7))
    binary = fingerprint((1, 0, 301), (6, 2, b"abd"), (2, 1, 8))
    difference = artifacts.compare_fingerprint("f", script, binary, 0, 0)
    assert difference is not None
    assert difference.detail == "\n".join(
        [
            "  SavedModel fingerprint; left out: savedmodel-uuid",
            "  saved_model_checksum: script 300, binary 301",
            "  version: script b'abc', binary b'abd'",
            "  graph_def_program_hash: script b'\\x07\\x00\\x00\\x00\\x00\\x00\\x00\\x00', "
            "binary b'\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00'",
        ]
    )
    longer = artifacts.compare_fingerprint("f", script, script + fingerprint((3, 0, 1)), 0, 0)
    assert longer is not None
    assert longer.detail.splitlines()[1:] == ["  signature_def_hash: script (absent), binary 1"]


def test_which_kind_of_archive_and_what_a_long_member_diff_shows() -> None:
    assert artifacts._kind({"config.json": b"", "a.weights.h5": b""}) is artifacts.Archive.KERAS
    assert artifacts._kind({"config.json": b""}) is artifacts.Archive.ZIP
    assert artifacts._kind({"a.weights.h5": b""}) is artifacts.Archive.ZIP
    assert artifacts._kind({"m/constants.pkl": b""}) is artifacts.Archive.TORCH
    assert artifacts._kind({"m/data.pkl": b""}) is artifacts.Archive.TORCH
    lines = [f"line {i}" for i in range(20)]
    edited = [f"line {i}" if i % 2 else f"LINE {i}" for i in range(20)]
    difference = artifacts.compare_zip(
        "x.zip",
        archive({"notes.txt": "\n".join(lines), "metadata.json": '{"date_saved": 1}'}),
        archive({"notes.txt": "\n".join(edited), "metadata.json": '{"date_saved": 2}'}),
        0,
        0,
    )
    assert difference is not None
    shown = difference.detail.splitlines()
    assert "  member metadata.json differs:" in shown  # a save date only in a .keras archive
    assert shown[-1] == "    ... 21 more diff lines"


def test_member_formats_inside_archives() -> None:
    """Pickled text with colons, JSON in its own key order, a .keras archive saved without a
    date, HDF5 weights inside an archive, a random torch id on one side only."""
    colon = artifacts.compare_zip(
        "m.pt",
        archive({"a/data.pkl": pickle.dumps("x:1:2", protocol=2)}),
        archive({"a/data.pkl": pickle.dumps("x:1:3", protocol=2)}),
        0,
        0,
    )
    assert colon is not None
    assert "    -X    BINUNICODE 'x:1:2'" in colon.detail.splitlines()
    ordered = artifacts.compare_zip(
        "x.zip",
        archive({"c.json": json.dumps({"b": 1, "a": 1})}),
        archive({"c.json": json.dumps({"a": 2, "b": 1})}),
        0,
        0,
    )
    assert ordered is not None
    assert ordered.detail.splitlines()[-3:] == ['    - "a": 1,', '    + "a": 2,', '      "b": 1']
    undated = artifacts.compare_zip(
        "m.keras",
        archive({"config.json": "{}", "m.weights.h5": b"", "metadata.json": '{"v": 1}'}),
        archive({"config.json": "{}", "m.weights.h5": b"", "metadata.json": '{"v": 2}'}),
        0,
        0,
    )
    assert undated is not None and "member metadata.json differs" in undated.detail
    half = artifacts.compare_zip(
        "m.pt",
        archive({"a/data.pkl": b"", "a/.data/serialization_id": "1"}),
        archive({"a/data.pkl": b""}),
        0,
        0,
    )
    assert half is None


def test_hdf5_weights_inside_an_archive_with_a_tolerance() -> None:
    h5py = pytest.importorskip("h5py")

    def weights(value: float) -> bytes:
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as written:
            written.create_dataset("kernel", data=np.array([value], dtype="float64"))
        return buffer.getvalue()

    def keras(value: float) -> bytes:
        return archive({"config.json": "{}", "model.weights.h5": weights(value)})

    assert artifacts.compare_zip("m.keras", keras(1.0), keras(1.0 + 1e-9), 1e-6, 0) is None
    assert artifacts.compare_zip("m.keras", keras(1.0), keras(1.0 + 1e-9), 0, 1e-6) is None
    found = artifacts.compare_zip("m.keras", keras(1.0), keras(1.5), 1e-6, 0)
    assert found is not None and "  member model.weights.h5 differs:" in found.detail
    assert "dataset kernel" in found.detail


def test_a_side_that_is_not_a_file_is_named_with_the_artifact() -> None:
    for compared in (artifacts.compare_zip, artifacts.compare_image):
        found = compared("model.bin", b"PK", None, 0, 0)
        assert found is not None and found.title == "model.bin"
        assert found.detail == "  not both files: bytes, NoneType"
        found = compared("model.bin", 5, b"PK", 0, 0)
        assert found is not None and found.detail == "  not both files: int, bytes"
    for left, right in ((b"x", None), (None, b"x")):
        h5 = artifacts.compare_h5("w.h5", left, right, 0, 0)
        assert h5 is not None and (h5.title, h5.detail) == ("w.h5", "  not both files")


def test_an_image_without_matplotlib_is_compared_byte_for_byte_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)  # `from PIL import Image` raises ImportError
    found = artifacts.compare_image("plot.png", b"abc", b"abcd", 0, 0)
    assert found is not None and found.title == "plot.png"
    assert found.detail == (
        "  image, compared byte for byte (install matplotlib to compare by pixels):\n"
        "    3 bytes in the script's, 4 in the binary's"
    )


@pytest.mark.parametrize("spec", ["nocolon", "a::", "::b", "a:b:c", "mod:Cls.method", "a b:c"])
def test_a_comparator_name_that_is_neither_is_told_what_to_give(spec: str) -> None:
    with pytest.raises(artifacts.ComparatorError) as raised:
        artifacts.check_name(spec)
    assert str(raised.value) == (
        f"comparator {spec!r}: give a built-in (zip, torch, torchscript, keras, h5, "
        "savedmodel-fingerprint, bytes, text, image) or module:function"
    )


@pytest.mark.parametrize("spec", ["image", "mod:function", "package.module:compare_2", "鸟类:比较"])
def test_a_comparator_name_that_is_either_is_taken_as_given(spec: str) -> None:
    assert artifacts.check_name(spec) == spec


def test_a_member_diff_of_exactly_the_lines_shown_says_nothing_more() -> None:
    left = ["same", "a1", "a2", "a3", "a4"]
    right = ["same", "b1", "b2", "b3", "b4"]
    shown = artifacts._text_diff(left, right).splitlines()
    assert len(shown) == artifacts.SHOWN  # three header lines, a context line, eight changes
    assert not shown[-1].strip().startswith("...")


def test_hdf5_groups_on_one_side_and_an_array_attribute_against_a_number() -> None:
    h5py = pytest.importorskip("h5py")

    def saved(script: bool) -> bytes:
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as written:
            written.attrs["n"] = [1, 2] if script else 7
            written.create_group("a_script_group" if script else "b_binary_group")
            written.create_dataset("d", data=np.array([1.0 if script else 2.0]))
        return buffer.getvalue()

    found = artifacts.compare_h5("w.h5", saved(True), saved(False), 0, 0)
    assert found is not None
    lines = found.detail.splitlines()
    assert lines[:3] == ["  HDF5; left out: h5-object-times", "  /@n:", "    script: array([1, 2])"]
    assert lines[3] in ("    binary: np.int64(7)", "    binary: 7")  # numpy 2's repr, numpy 1's
    assert lines[4:7] == [
        "  a_script_group/: only in the script's",
        "  b_binary_group/: only in the binary's",
        "  dataset d:",
    ]


def test_a_fingerprint_varint_of_three_bytes() -> None:
    script = fingerprint((1, 0, 300_000))
    binary = fingerprint((1, 0, 300_001))
    found = artifacts.compare_fingerprint("f", script, binary, 0, 0)
    assert found is not None
    assert found.detail.splitlines()[1:] == ["  saved_model_checksum: script 300000, binary 300001"]


def test_a_member_hdf5_on_one_side_only_is_compared_as_bytes() -> None:
    h5py = pytest.importorskip("h5py")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as written:
        written.create_dataset("kernel", data=np.arange(3))
    found = artifacts.compare_zip(
        "m.zip",
        archive({"w.h5": buffer.getvalue()}),
        archive({"w.h5": b"not hdf5"}),
        0,
        0,
    )
    assert found is not None
    assert found.detail.splitlines()[1:] == [
        "  member w.h5 differs:",
        f"    {len(buffer.getvalue())} bytes in the script's, 8 in the binary's",
    ]
