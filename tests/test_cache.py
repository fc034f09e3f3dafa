from __future__ import annotations

import fcntl
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytest_nuitka.cache import BuildCache
from pytest_nuitka.compilers import Built, CompileFailed
from pytest_nuitka.errors import BuildError


def build_into(source: Path):
    def build(workdir: Path, product: Path, log: Path, verdict: str) -> Built:
        (product / "app.bin").write_bytes(b"#!/bin/sh\necho built\n")
        log.write_text("ok")
        return Built("app.bin", (source,))

    return build


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "app.py"
    path.write_text("print(1)\n")
    return path


def test_hit_after_build_and_changed_after_edit(tmp_path, source):
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    entry, verdict = cache.get_or_build("k", {}, build_into(source))
    assert verdict == "miss" and entry.executable.read_bytes().startswith(b"#!")
    assert cache.lookup("k")[1] == "hit"
    source.write_text("print(2)\n")
    assert cache.lookup("k") == (None, "changed")


def test_corrupt_entry_is_detected_by_checksum_and_replaced(tmp_path, source):
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    entry, _ = cache.get_or_build("k", {}, build_into(source))
    entry.executable.write_bytes(b"#!/bin/sh\necho evil\n")  # same size, other bytes
    assert cache.lookup("k") == (None, "corrupt")
    rebuilt, verdict = cache.get_or_build("k", {}, build_into(source))
    assert verdict == "corrupt" and b"built" in rebuilt.executable.read_bytes()
    (rebuilt.path / "meta.json").write_text("{truncated")
    assert cache.lookup("k") == (None, "corrupt")


def test_rebuild_is_per_run(tmp_path, source):
    BuildCache(tmp_path / "c", "run1", rebuild=False).get_or_build("k", {}, build_into(source))
    forced = BuildCache(tmp_path / "c", "run2", rebuild=True)
    assert forced.lookup("k") == (None, "forced")
    forced.get_or_build("k", {}, build_into(source))
    assert forced.lookup("k")[1] == "hit"


def test_failed_build_publishes_nothing_and_keeps_the_log(tmp_path, source):
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)

    def failing(workdir, product, log, verdict):
        log.write_text("error: boom")
        raise CompileFailed("boom")

    with pytest.raises(BuildError, match=r"boom\n\nfull log: .*build.log"):
        cache.get_or_build("k", {}, failing)
    assert cache.lookup("k") == (None, "miss")
    assert (
        next((tmp_path / "c" / "v1" / "failed").iterdir()) / "entry" / "build.log"
    ).read_text() == "error: boom"


def test_killed_build_leaves_no_entry_and_no_lock(tmp_path, source):
    root = tmp_path / "c"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import time
        from pathlib import Path
        from pytest_nuitka.cache import BuildCache
        def slow(workdir, product, log, verdict):
            (product / "app.bin").write_text("half")
            print("building", flush=True)
            time.sleep(600)
        BuildCache(Path({str(root)!r}), "run1", False).get_or_build("k", {{}}, slow)
        """),
        ],
        stdout=subprocess.PIPE,
    )
    assert child.stdout.readline() == b"building\n"
    child.send_signal(signal.SIGKILL)
    child.wait()
    cache = BuildCache(root, "run2", rebuild=False)
    assert cache.lookup("k") == (None, "miss")
    with (root / "v1" / "locks" / "k.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held
        fcntl.flock(handle, fcntl.LOCK_UN)
    assert list((root / "v1" / "tmp").iterdir())  # the killed build's scratch
    cache.get_or_build("k", {}, build_into(source))
    assert not list((root / "v1" / "tmp").iterdir())  # swept under the lock


def test_old_source_revisions_are_pruned(tmp_path, source):
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    for revision in range(5):
        source.write_text(f"print({revision})\n")
        cache.get_or_build("k", {}, build_into(source))
        time.sleep(0.01)
    assert len(list((tmp_path / "c" / "v1" / "entries" / "k").iterdir())) == 3
