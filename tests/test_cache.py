from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytest_nuitka import cachetool
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


def sized(source: Path, size: int):
    def build(workdir: Path, product: Path, log: Path, verdict: str) -> Built:
        (product / "app.bin").write_bytes(b"#" * size)
        return Built("app.bin", (source,))

    return build


def test_pruning_removes_least_recently_used_first(tmp_path, source):
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    for key in ("a", "b", "c"):
        cache.get_or_build(key, {}, sized(source, 1000))
        time.sleep(0.02)
    assert cache.lookup("a")[1] == "hit"  # a is now the most recently used
    removed = cache.prune(2000)
    assert [e.path.parent.name for e in removed] == ["b"]
    assert [e.path.parent.name for e in cache.entries()] == ["c", "a"]
    assert cache.prune(2000, grace=3600) == []  # recently used entries stay


def test_a_build_prunes_the_cache_to_its_limit_keeping_the_new_entry(tmp_path, source):
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False, max_bytes=1500)
    cache.get_or_build("old", {}, sized(source, 1000))
    old = cache.entries()[0].path
    os.utime(old, (time.time() - 7200, time.time() - 7200))  # unused for two hours
    new, _ = cache.get_or_build("new", {}, sized(source, 1000))
    assert [e.path for e in cache.entries()] == [new.path]


def test_a_cache_others_can_write_to_is_refused(tmp_path, source):
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    cache.get_or_build("k", {}, build_into(source))
    (tmp_path / "c" / "v1").chmod(0o777)
    with pytest.raises(BuildError, match=r"v1 is writable by other users \(mode drwxrwxrwx"):
        cache.lookup("k")
    (tmp_path / "c" / "v1").chmod(0o755)
    assert cache.lookup("k")[1] == "hit"


def test_the_cache_tool_shows_and_prunes(tmp_path, source, capsys):
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    for key in ("a", "b"):
        cache.get_or_build(
            key, {"mode": "standalone", "script": f"/x/{key}.py"}, sized(source, 4096)
        )
        time.sleep(0.02)
    assert cachetool.main(["--cache-dir", str(tmp_path / "c")]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[0].endswith(": 2 build(s), 8.0 KiB")
    assert "standalone" in shown[2] and shown[2].endswith("/x/a.py")
    assert cachetool.main(["--cache-dir", str(tmp_path / "c"), "--prune", "5K"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[0] == "removed 1 build(s), 4.0 KiB"
    assert shown[-1].endswith("/x/b.py")


def test_pruning_entries_recorded_without_their_size(tmp_path, source):
    """Entries from before sizes were recorded are measured on disk, before removal."""
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    for key in ("a", "b", "c"):
        entry, _ = cache.get_or_build(key, {}, sized(source, 1000))
        meta = json.loads((entry.path / "meta.json").read_text())
        del meta["product_size"]
        (entry.path / "meta.json").write_text(json.dumps(meta))
        time.sleep(0.02)
    removed = cache.prune(2500)
    assert [(e.path.parent.name, e.size) for e in removed] == [("a", 1000)]
    assert len(cache.entries()) == 2
