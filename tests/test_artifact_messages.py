"""What a failing artifact comparison says, whole: the kind of file, what was left out and
why, each member that differs in its own format (JSON, pickle opcodes, text). Written by hand
from the formats, so that a message that names the wrong side, loses a member or drops what
was left out fails here (mutation testing found these unchecked)."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

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
