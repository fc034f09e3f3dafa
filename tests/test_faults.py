"""The build cache under faults: a build killed at random moments (real Nuitka), a full disk,
a read-only cache, two pytest sessions at once. Disks are made full or read-only for real: a
small tmpfs in a private mount namespace."""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import APPS, TESTS
from pytest_nuitka import portable
from pytest_nuitka.cache import BuildCache

CHILD = """
import os, sys
from pathlib import Path
from pytest_nuitka.cache import BuildCache
from pytest_nuitka.compilers import Built, BuildRequest, NuitkaCompiler
from pytest_nuitka.errors import BuildError

root, source = Path(sys.argv[1]), Path(sys.argv[2])
cache = BuildCache(root, "child", rebuild=False)

def sized(size):
    def build(workdir, product, log, verdict):
        (product / "app.bin").write_bytes(b"#" * size)
        return Built("app.bin", (source,))
    return build

def nuitka(workdir, product, log, verdict):
    request = BuildRequest(source, "accelerated", (), (), (), dict(os.environ), 600.0)
    return NuitkaCompiler().build(request, workdir, product, log)

def attempt(key, build):
    try:
        cache.get_or_build(key, {}, build)
        print(key, "built", flush=True)
    except BuildError as error:
        print(key, "BuildError:", error, flush=True)

def listing():
    for folder in ("entries", "tmp"):
        path = root / "v1" / folder
        print(folder, sorted(p.name for p in path.iterdir()) if path.exists() else [])
"""


def namespace_or_skip() -> None:
    reason = portable.probe()
    if reason:
        pytest.skip(f"needs a private mount namespace to fake the disk: {reason}")


def in_namespace(tmp_path: Path, shell: str) -> str:
    """Runs ``shell`` in a private user and mount namespace; $PY runs the CHILD helpers."""
    (tmp_path / "child.py").write_text(CHILD + "\n" + "exec(sys.argv[3])\n")
    env = {**os.environ, "PY": f"{sys.executable} {tmp_path / 'child.py'}"}
    done = subprocess.run(
        [*portable.UNSHARE, "sh", "-ec", shell],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "app.py"
    path.write_text("print(1)\n")
    return path


def test_a_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path, source):
    namespace_or_skip()
    (tmp_path / "disk").mkdir()
    out = in_namespace(
        tmp_path,
        f"mount -t tmpfs -o size=256k none disk\n"
        f'$PY disk/c {source} \'attempt("big", sized(4 << 20)); listing(); '
        f'attempt("small", sized(1000)); listing()\'',
    )
    lines = out.splitlines()
    assert lines[0].startswith("big BuildError: cannot write to the build cache")
    assert "No space left on device" in lines[0]
    assert lines[1:3] == ["entries []", "tmp []"]  # nothing half-written
    assert lines[3] == "small built"  # the cache still works once there is room
    assert lines[4] == "entries ['small']"


def test_a_read_only_cache_serves_hits_and_refuses_builds_clearly(tmp_path, source):
    namespace_or_skip()
    (tmp_path / "disk").mkdir()
    out = in_namespace(
        tmp_path,
        f"mount -t tmpfs none disk\n"
        f"$PY disk/c {source} 'attempt(\"a\", sized(1000))'\n"
        "mount -o remount,ro disk\n"
        f'$PY disk/c {source} \'attempt("a", sized(1000)); attempt("b", sized(1000)); '
        "listing()'",
    )
    lines = out.splitlines()
    assert lines[0:2] == ["a built", "a built"]  # the second is a hit from the read-only cache
    assert lines[2].startswith("b BuildError: cannot write to the build cache")
    assert "Read-only file system" in lines[2]
    assert lines[3] == "entries ['a']"


def test_two_pytest_sessions_with_two_workers_each_build_a_shared_key_once(tmp_path):
    (tmp_path / "app.py").write_text("print('hello')\n")
    (tmp_path / "test_app.py").write_text(
        textwrap.dedent("""
        import pytest

        @pytest.mark.parametrize("n", [1, 2])
        def test_it(nuitka, n):
            nuitka.compile("app.py", env={"STANDIN_SLEEP": "2"}).run_both().assert_match()
        """)
    )
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    command = [
        sys.executable, "-m", "pytest", "-p", "standin", "--nuitka-compile", "-n", "2",
        "-p", "no:cacheprovider", f"--nuitka-cache-dir={tmp_path / 'cache'}", "test_app.py",
    ]  # fmt: skip
    sessions = [
        subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [session.communicate(timeout=120)[0] for session in sessions]
    assert [session.returncode for session in sessions] == [0, 0], outputs
    summaries = [line.split() for o in outputs for line in o.splitlines() if "build(s) in" in line]
    assert sum(int(words[1]) for words in summaries) == 1, outputs  # "nuitka: N build(s) ..."
    assert sum(int(words[5]) for words in summaries) == 3, outputs  # "... in Xs, M cache hit(s)"


def test_a_nuitka_build_killed_at_random_moments_publishes_nothing(tmp_path, pytestconfig):
    from pytest_nuitka.fixture import BUILDER

    if not pytestconfig.stash[BUILDER].settings.compile:
        pytest.skip("the binary side needs --nuitka-compile")
    root, source = tmp_path / "cache", APPS / "numpy_stats" / "app.py"
    (tmp_path / "child.py").write_text(CHILD + "\nattempt('k', nuitka)\n")
    seed = random.randrange(1 << 16)
    moments = sorted(random.Random(seed).uniform(0.3, 2.5) for _ in range(3))
    for moment in moments:
        child = subprocess.Popen(
            [sys.executable, tmp_path / "child.py", root, source],
            start_new_session=True,
            stdout=subprocess.PIPE,
        )
        time.sleep(moment)
        os.killpg(child.pid, signal.SIGKILL)  # the build and Nuitka with it
        assert child.wait() == -signal.SIGKILL, f"seed {seed}: finished before {moment:.2f}s"
        cache = BuildCache(root, "check", rebuild=False)
        assert cache.lookup("k") == (None, "miss"), f"seed {seed}, killed at {moment:.2f}s"
        lock = root / "v1" / "locks" / "k.lock"
        if lock.exists():
            with lock.open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held
    done = subprocess.run(
        [sys.executable, tmp_path / "child.py", root, source], capture_output=True, timeout=600
    )
    assert done.stdout.decode().strip() == "k built", done.stderr.decode()[-2000:]
    assert [p.parent.name for p in (root / "v1" / "entries").glob("*/*")] == ["k"]
    # Nuitka's C compilers run in their own session and outlive a killed build; their
    # scratch folders are swept by the next build of the key. Do not leave them running.
    for pid in processes_mentioning(str(root)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def processes_mentioning(text: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if text.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
    return found
