from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest

from pytest_nuitka.base.errors import BuildError
from pytest_nuitka.cache import __main__ as cachetool
from pytest_nuitka.cache.local import BuildCache
from pytest_nuitka.cache.product import Built, CompileFailed


def build_into(source: Path) -> Callable[..., Built]:
    def build(workdir: Path, product: Path, log: Path, **_: str) -> Built:
        (product / "app.bin").write_bytes(b"#!/bin/sh\necho built\n")
        log.write_text("ok")
        return Built("app.bin", (source,))

    return build


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "app.py"
    path.write_text("print(1)\n")
    return path


def test_hit_after_build_and_changed_after_edit(tmp_path: Path, source: Path) -> None:
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    entry, verdict = cache.get_or_build("k", {}, build_into(source))
    assert verdict == "miss" and entry.executable.read_bytes().startswith(b"#!")
    assert cache.lookup("k")[1] == "hit"
    source.write_text("print(2)\n")
    assert cache.lookup("k")[:2] == (None, "changed")


def test_corrupt_entry_is_detected_by_checksum_and_replaced(tmp_path: Path, source: Path) -> None:
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    entry, _ = cache.get_or_build("k", {}, build_into(source))
    entry.executable.write_bytes(b"#!/bin/sh\necho evil\n")  # same size, other bytes
    assert cache.lookup("k")[:2] == (None, "corrupt")
    rebuilt, verdict = cache.get_or_build("k", {}, build_into(source))
    assert verdict == "corrupt" and b"built" in rebuilt.executable.read_bytes()
    (rebuilt.path / "meta.json").write_text("{truncated")
    assert cache.lookup("k")[:2] == (None, "corrupt")


def test_rebuild_is_per_run(tmp_path: Path, source: Path) -> None:
    BuildCache(tmp_path / "c", "run1", rebuild=False).get_or_build("k", {}, build_into(source))
    forced = BuildCache(tmp_path / "c", "run2", rebuild=True)
    assert forced.lookup("k")[:2] == (None, "forced")
    forced.get_or_build("k", {}, build_into(source))
    assert forced.lookup("k")[1] == "hit"


def test_failed_build_publishes_nothing_and_keeps_the_log(tmp_path: Path, source: Path) -> None:
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)

    def failing(workdir: Path, product: Path, log: Path, **_: str) -> Built:
        log.write_text("error: boom")
        raise CompileFailed("boom")

    with pytest.raises(BuildError, match=r"boom\n\nfull log: .*build.log"):
        cache.get_or_build("k", {}, failing)
    assert cache.lookup("k")[:2] == (None, "miss")
    assert (
        next((tmp_path / "c" / "v1" / "failed").iterdir()) / "entry" / "build.log"
    ).read_text() == "error: boom"


def test_killed_build_leaves_no_entry_and_no_lock(tmp_path: Path, source: Path) -> None:
    root = tmp_path / "c"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import time
        from pathlib import Path
        from pytest_nuitka.cache.local import BuildCache
        def slow(workdir, product, log, **_):
            (product / "app.bin").write_text("half")
            print("building", flush=True)
            time.sleep(600)
        BuildCache(Path({str(root)!r}), "run1", False).get_or_build("k", {{}}, slow)
        """),
        ],
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == b"building\n"
    child.send_signal(signal.SIGKILL)
    child.wait()
    cache = BuildCache(root, "run2", rebuild=False)
    assert cache.lookup("k")[:2] == (None, "miss")
    with (root / "v1" / "locks" / "k.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held
        fcntl.flock(handle, fcntl.LOCK_UN)
    assert list((root / "v1" / "tmp").iterdir())  # the killed build's scratch
    cache.get_or_build("k", {}, build_into(source))
    assert not list((root / "v1" / "tmp").iterdir())  # swept under the lock


def test_old_source_revisions_are_pruned(tmp_path: Path, source: Path) -> None:
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    for revision in range(5):
        source.write_text(f"print({revision})\n")
        cache.get_or_build("k", {}, build_into(source))
        time.sleep(0.01)
    assert len(list((tmp_path / "c" / "v1" / "entries" / "k").iterdir())) == 3


def sized(source: Path, size: int) -> Callable[..., Built]:
    def build(workdir: Path, product: Path, log: Path, **_: str) -> Built:
        (product / "app.bin").write_bytes(b"#" * size)
        return Built("app.bin", (source,))

    return build


def test_pruning_removes_least_recently_used_first(tmp_path: Path, source: Path) -> None:
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    for key in ("a", "b", "c"):
        cache.get_or_build(key, {}, sized(source, 1000))
        time.sleep(0.02)
    assert cache.lookup("a")[1] == "hit"  # a is now the most recently used
    removed = cache.prune(2000)
    assert [e.path.parent.name for e in removed] == ["b"]
    assert [e.path.parent.name for e in cache.entries()] == ["c", "a"]
    assert cache.prune(2000, grace=3600) == []  # recently used entries stay


def test_an_entry_another_session_prunes_meanwhile_is_passed_over(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Measured with xdist workers of tox cells over a full cache: one worker listed the
    entries while another removed one, and its build failed on the vanished folder."""
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    for key in ("a", "b"):
        cache.get_or_build(key, {}, sized(source, 1000))
    read_meta = BuildCache._meta

    def read_then_vanish(variant: Path) -> object:
        meta = read_meta(variant)
        if variant.parent.name == "a":
            shutil.rmtree(variant)  # the other session's prune, between listing and stat
        return meta

    monkeypatch.setattr(BuildCache, "_meta", staticmethod(read_then_vanish))
    listed = cache.entries()
    assert [e.path.parent.name for e in listed] == ["a", "b"]  # gone: never used
    monkeypatch.undo()
    assert [e.path.parent.name for e in cache.prune(1000)] == []  # b alone fits
    assert [e.path.parent.name for e in cache.entries()] == ["b"]


def test_a_build_prunes_the_cache_to_its_limit_keeping_the_new_entry(
    tmp_path: Path, source: Path
) -> None:
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False, max_bytes=1500)
    cache.get_or_build("old", {}, sized(source, 1000))
    old = cache.entries()[0].path
    os.utime(old, (time.time() - 7200, time.time() - 7200))  # unused for two hours
    new, _ = cache.get_or_build("new", {}, sized(source, 1000))
    assert [e.path for e in cache.entries()] == [new.path]


def test_a_cache_others_can_write_to_is_refused(tmp_path: Path, source: Path) -> None:
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    cache.get_or_build("k", {}, build_into(source))
    (tmp_path / "c" / "v1").chmod(0o777)
    with pytest.raises(BuildError, match=r"v1 is writable by other users \(mode drwxrwxrwx"):
        cache.lookup("k")
    (tmp_path / "c" / "v1").chmod(0o755)
    assert cache.lookup("k")[1] == "hit"


def test_the_cache_tool_shows_and_prunes(
    tmp_path: Path, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
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


def test_pruning_entries_recorded_without_their_size(tmp_path: Path, source: Path) -> None:
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


def dist_into(source: Path) -> Callable[..., Built]:
    """A standalone-like product: a binary in a dist folder with a data file and a library."""

    def build(workdir: Path, product: Path, log: Path, **_: str) -> Built:
        dist = product / "app.dist"
        (dist / "data").mkdir(parents=True)
        (dist / "app.bin").write_bytes(b"#!/bin/sh\necho built\n")
        (dist / "app.bin").chmod(0o775)
        (dist / "data" / "labels.json").write_text('{"0": "heron"}')
        (dist / "libfoo.so").write_bytes(b"\x7fELF" + b"\0" * 64)
        return Built("app.dist/app.bin", (source,))

    return build


def test_entries_are_served_under_a_permissive_umask(tmp_path: Path, source: Path) -> None:
    """umask 002 (Debian's default for users) makes group-writable files and folders; the
    cache sets the modes it needs instead of refusing its own entries."""
    old = os.umask(0o002)
    try:
        cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
        cache.get_or_build("k", {}, dist_into(source))
        assert cache.lookup("k")[1] == "hit"
        assert BuildCache(tmp_path / "c", "run2", rebuild=False).lookup("k")[1] == "hit"
    finally:
        os.umask(old)
    for path in [tmp_path / "c", *(tmp_path / "c").rglob("*")]:
        assert not path.lstat().st_mode & 0o022, path


@pytest.mark.parametrize(
    "tamper",
    [
        "data file edited",
        "library replaced",
        "file added",
        "file removed",
        "binary made writable by others",
        "product made writable by others",
        "executable outside the entry",
        "executable escapes the product",
        "entry replaced by a link",
        "data file edited to the same size, its mtime set back",
        "binary edited to the same size, its mtime set back",
    ],
)
def test_a_tampered_product_is_never_served(tmp_path: Path, source: Path, tamper: str) -> None:
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    entry, _ = cache.get_or_build("k", {}, dist_into(source))
    dist = entry.path / "product" / "app.dist"
    meta = json.loads((entry.path / "meta.json").read_text())
    if tamper == "data file edited":
        (dist / "data" / "labels.json").write_text('{"0": "crow!"}')
    elif tamper == "library replaced":
        (dist / "libfoo.so").unlink()
        (dist / "libfoo.so").write_bytes(b"\x7fELF" + b"\1" * 64)
    elif tamper == "file added":
        (dist / "sitecustomize.py").write_text("print('evil')")
    elif tamper == "file removed":
        (dist / "data" / "labels.json").unlink()
    elif tamper == "binary made writable by others":
        (dist / "app.bin").chmod(0o777)
    elif tamper == "product made writable by others":
        (entry.path / "product").chmod(0o777)
    elif tamper == "executable outside the entry":
        meta["executable"] = "/bin/echo"
    elif tamper == "executable escapes the product":
        meta["executable"] = "../../../../../../bin/echo"
    elif tamper == "entry replaced by a link":
        moved = tmp_path / "elsewhere"
        os.rename(entry.path, moved)
        os.symlink(moved, entry.path)
    elif tamper.endswith("its mtime set back"):
        target = dist / ("app.bin" if tamper.startswith("binary") else "data/labels.json")
        before = target.stat()
        content = target.read_bytes()
        target.write_bytes(content[:-2] + b"!\n")  # same size: `touch -r` hides the rest
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert target.stat().st_size == before.st_size
    if tamper.startswith("executable"):
        (entry.path / "meta.json").write_text(json.dumps(meta))
    found, verdict, why = cache.lookup("k")
    assert (found, verdict) == (None, "corrupt"), why
    rebuilt, verdict = cache.get_or_build("k", {}, dist_into(source))
    assert verdict == "corrupt"
    assert rebuilt.executable.read_bytes() == b"#!/bin/sh\necho built\n"
    assert not rebuilt.path.is_symlink()
    assert cache.lookup("k")[1] == "hit"


def test_a_product_linking_outside_itself_is_not_published(tmp_path: Path, source: Path) -> None:
    def build(workdir: Path, product: Path, log: Path, **_: str) -> Built:
        (product / "app.bin").write_bytes(b"#!/bin/sh\n")
        (product / "libc.so").symlink_to("/lib/x86_64-linux-gnu/libc.so.6")
        return Built("app.bin", (source,))

    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    with pytest.raises(BuildError, match=r"could not be published: .*libc\.so links outside"):
        cache.get_or_build("k", {}, build)
    assert cache.lookup("k")[:2] == (None, "miss")
    kept = list((tmp_path / "c" / "v1" / "failed").glob("k.*/entry/product/libc.so"))
    assert len(kept) == 1 and kept[0].is_symlink()  # kept for the user to look at


@pytest.mark.skipif(os.getuid() != 0, reason="giving a folder to another user needs root")
def test_a_cache_owned_by_another_user_is_refused_before_anything_is_written(
    tmp_path: Path, source: Path
) -> None:
    root = tmp_path / "c"
    root.mkdir(mode=0o755)
    os.chown(root, 65534, 65534)
    cache = BuildCache(root, "run1", rebuild=False)
    built: list[int] = []
    with pytest.raises(BuildError, match=r"c is owned by another user \(uid 65534"):
        # The build must never run; it returns None, not a Built, hence the cast.
        cache.get_or_build("k", {}, cast(Callable[..., Built], lambda *a, **k: built.append(1)))
    assert built == [] and list(root.iterdir()) == []


def test_a_planted_lock_link_is_refused_and_not_followed(tmp_path: Path, source: Path) -> None:
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    cache.secure()
    target = tmp_path / "planted-target"
    (tmp_path / "c" / "v1" / "locks" / "k.lock").symlink_to(target)
    with pytest.raises(BuildError, match=r"k.lock is a symbolic link: refused"):
        cache.get_or_build("k", {}, build_into(source))
    assert not target.exists()


def test_a_planted_key_folder_link_is_not_followed(tmp_path: Path, source: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    BuildCache(elsewhere, "run1", rebuild=False).get_or_build("k", {}, build_into(source))
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    cache.secure()
    (tmp_path / "c" / "v1" / "entries" / "k").symlink_to(elsewhere / "v1" / "entries" / "k")
    assert cache.lookup("k")[:2] == (None, "miss")
    with pytest.raises(BuildError, match=r"entries/k in the build cache is a symbolic link"):
        cache.get_or_build("k", {}, build_into(source))


def test_failures_keep_only_the_last_build_folder_per_key(tmp_path: Path, source: Path) -> None:
    def failing(workdir: Path, product: Path, log: Path, **_: str) -> Built:
        (workdir / "big.o").write_bytes(b"\0" * 10_000)
        log.write_text("error: boom")
        raise CompileFailed("boom")

    for session in range(3):
        cache = BuildCache(tmp_path / "c", f"run{session}", rebuild=False)
        with pytest.raises(BuildError):
            cache.get_or_build("k", {}, failing)
        with pytest.raises(BuildError):
            cache.get_or_build("other", {}, failing)
    failed = sorted(p.name.split(".")[0] for p in (tmp_path / "c" / "v1" / "failed").iterdir())
    assert failed == ["k", "other"]


def test_leftovers_count_against_the_size_and_are_pruned(
    tmp_path: Path, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    cache.get_or_build("k", {}, sized(source, 1000))
    tmp = tmp_path / "c" / "v1" / "tmp"
    killed, running = tmp / "dead.1234abcd", tmp / "busy.5678abcd"
    for folder in (killed, running):
        (folder / "work").mkdir(parents=True)
        (folder / "work" / "x.o").write_bytes(b"\0" * 5000)
        os.utime(folder, (time.time() - 7200, time.time() - 7200))
    assert cachetool.main(["--cache-dir", str(tmp_path / "c")]) == 0
    assert "and 2 unfinished build folder(s), 9.8 KiB (tmp/)" in capsys.readouterr().out
    with cache._lock("busy", lambda: None):  # a build of that key is running
        removed = cache.prune(1 << 30, grace=3600)
    assert [item.path for item in removed] == [killed]
    assert running.exists() and cache.lookup("k")[1] == "hit"
    assert cachetool.main(["--cache-dir", str(tmp_path / "c"), "--prune", "500"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("removed 1 build(s), 1000 B; 1 leftover(s)")
    assert not list(tmp.iterdir())


def test_a_folder_above_the_cache_that_anyone_can_write_is_refused(
    tmp_path: Path, source: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # no sticky bit: anyone may rename the cache away and plant another
    cache = BuildCache(shared / "cache", "run1", rebuild=False)
    with pytest.raises(BuildError, match=r"shared, above the build cache, is writable by every"):
        cache.get_or_build("k", {}, build_into(source))
    assert not (shared / "cache").exists()
    shared.chmod(0o1777)  # as /tmp: only owners may rename
    assert cache.get_or_build("k", {}, build_into(source))[1] == "miss"


def test_a_file_whose_inode_changed_but_not_its_content_is_served(
    tmp_path: Path, source: Path
) -> None:
    """A hard link made to a dist file and removed (the clean room's copy), or a chmod and
    back, moves the file's ctime: its content decides, and the record is repaired once."""
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    entry, _ = cache.get_or_build("k", {}, dist_into(source))
    labels = entry.path / "product" / "app.dist" / "data" / "labels.json"
    os.link(labels, tmp_path / "copy.json")
    os.unlink(tmp_path / "copy.json")
    assert cache.lookup("k")[1] == "hit"
    recorded = json.loads((entry.path / "meta.json").read_text())["product"]
    assert recorded["app.dist/data/labels.json"][3] == labels.stat().st_ctime_ns


def test_a_prune_passes_over_entries_a_running_session_holds(
    tmp_path: Path, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = BuildCache(tmp_path / "c", "run1", rebuild=False)
    session.hold("held")  # as the builder does before its lookup
    session.get_or_build("held", {}, build_into(source))
    session.get_or_build("free", {}, build_into(source))
    assert cachetool.main(["--cache-dir", str(tmp_path / "c"), "--prune", "0"]) == 0
    shown = capsys.readouterr().out
    assert "removed 1 build(s)" in shown
    assert "kept 1 build(s) that a running session uses" in shown
    assert session.lookup("held")[1] == "hit"
    assert session.lookup("free")[1] == "miss"
    session.release()
    assert cachetool.main(["--cache-dir", str(tmp_path / "c"), "--prune", "0"]) == 0
    assert session.lookup("held")[1] == "miss"


@pytest.mark.parametrize("where", ["missing", "a file", "not a cache", "empty"])
def test_cachetool_refuses_a_mistyped_cache_dir_and_creates_nothing(
    tmp_path: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cache"
    if where == "a file":
        path.write_text("x")
    elif where == "not a cache":
        path.mkdir()
        (path / "notes.txt").write_text("mine")
    elif where == "empty":
        path.mkdir()
    before = sorted(tmp_path.rglob("*"))
    code = cachetool.main(["--cache-dir", str(path), "--prune", "0"])
    said = capsys.readouterr().err
    assert code == (2 if where in ("a file", "not a cache") else 0)
    assert "Traceback" not in said and str(path) in said
    assert sorted(tmp_path.rglob("*")) == before  # nothing created, nothing removed


def test_a_shared_sticky_folder_is_not_told_to_change_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    with pytest.raises(BuildError) as caught:
        BuildCache(shared, "run1", rebuild=False).secure()
    assert "chmod" not in str(caught.value)
    assert f"--nuitka-cache-dir (PYTEST_NUITKA_CACHE_DIR) of your own, e.g. {shared}/" in str(
        caught.value
    )


def test_a_read_only_cache_is_not_told_to_free_space(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    cache.secure()

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(BuildCache, "_build", read_only)
    with pytest.raises(BuildError) as caught:
        cache.get_or_build("k", {}, build_into(source))
    assert "Free space" not in str(caught.value)
    assert "Point --nuitka-cache-dir" in str(caught.value)


def test_an_entry_of_an_older_format_is_passed_over_and_replaced(
    tmp_path: Path, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Entries published before the product's hashes were recorded: listing and pruning go
    on, and a lookup rebuilds (their record has no inode change times)."""
    cache = BuildCache(tmp_path / "c", "run1", rebuild=False)
    entry, _ = cache.get_or_build("k", {}, dist_into(source))
    meta = json.loads((entry.path / "meta.json").read_text())
    del meta["hashes"]
    meta["product"] = {name: sign[:3] for name, sign in meta["product"].items()}
    (entry.path / "meta.json").write_text(json.dumps(meta))
    assert cachetool.main(["--cache-dir", str(tmp_path / "c")]) == 0
    assert "1 build(s)" in capsys.readouterr().out
    assert cache.lookup("k")[1] == "corrupt"
    assert cache.get_or_build("k", {}, dist_into(source))[1] == "corrupt"
    assert cache.lookup("k")[1] == "hit"


def test_a_corrupt_entry_another_session_holds_is_left_to_it(tmp_path: Path, source: Path) -> None:
    """A build of the same key in another session (--nuitka-rebuild) publishes beside what
    this one runs instead of removing it from under it."""
    running = BuildCache(tmp_path / "c", "run1", rebuild=False)
    running.hold("k")
    entry, _ = running.get_or_build("k", {}, dist_into(source))
    rebuilding = BuildCache(tmp_path / "c", "run2", rebuild=True)
    rebuilt, verdict = rebuilding.get_or_build("k", {}, dist_into(source))
    assert verdict == "forced" and rebuilt.path != entry.path
    assert entry.executable.is_file()  # still there for the session that runs it


def test_the_cache_tool_names_its_real_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(SystemExit) as done:
        cachetool.main(["--help"])
    assert done.value.code == 0
    shown = "".join(capsys.readouterr().out.split())  # argparse wraps long paths anywhere
    default = f"$PYTEST_NUITKA_CACHE_DIR, else the plugin's default, {tmp_path / 'pytest-nuitka'}"
    assert "".join(f"default: {default}".split()) in shown
