"""The build cache under faults: a build killed at random moments (real Nuitka), a full disk,
a read-only cache, two pytest sessions at once. Disks are made full or read-only for real: a
small tmpfs in a private mount namespace."""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import APPS, TESTS, default_sigint
from pytest_nuitka.base import process
from pytest_nuitka.cache.local import BuildCache
from pytest_nuitka.run import portable

CHILD = """
import os, sys
from pathlib import Path
from pytest_nuitka.cache.local import BuildCache
from pytest_nuitka.cache.product import Built
from pytest_nuitka.compile.compilers import BuildRequest, NuitkaCompiler
from pytest_nuitka.base.errors import BuildError

root, source = Path(sys.argv[1]), Path(sys.argv[2])
cache = BuildCache(root, "child", rebuild=False)

def sized(size):
    def build(workdir, product, log, **_):
        (product / "app.bin").write_bytes(b"#" * size)
        return Built("app.bin", (source,))
    return build

def nuitka(workdir, product, log, **_):
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


def test_a_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path: Path, source: Path) -> None:
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


def test_a_read_only_cache_serves_hits_and_refuses_builds_clearly(
    tmp_path: Path, source: Path
) -> None:
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


def test_two_pytest_sessions_with_two_workers_each_build_a_shared_key_once(tmp_path: Path) -> None:
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


@pytest.mark.real
def test_a_nuitka_build_killed_at_random_moments_publishes_nothing(
    tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    from pytest_nuitka.plugin.fixture import BUILDER

    if not pytestconfig.stash[BUILDER].settings.compile:
        pytest.skip("the binary side needs --nuitka-compile")
    root, source = tmp_path / "cache", APPS / "numpy_stats" / "app.py"
    (tmp_path / "child.py").write_text(CHILD + "\nattempt('k', nuitka)\n")
    # How long a whole build takes here with ccache warm, as the killed ones run (the first
    # build warms it): the kills fall inside a build.
    for measure in ("warm-up", "measure"):
        started = time.monotonic()
        whole = subprocess.run(
            [sys.executable, tmp_path / "child.py", tmp_path / measure, source],
            capture_output=True,
            timeout=600,
        )
        assert whole.stdout.decode().strip() == "k built", whole.stderr.decode()[-2000:]
    duration = time.monotonic() - started
    seed = random.randrange(1 << 16)
    moments = sorted(random.Random(seed).uniform(0.1, 0.8) * duration for _ in range(3))
    for moment in moments:
        for _ in range(4):  # a machine that got faster since the measure: kill sooner
            child = subprocess.Popen(
                [sys.executable, tmp_path / "child.py", root, source],
                start_new_session=True,
                stdout=subprocess.PIPE,
            )
            time.sleep(moment)
            os.killpg(child.pid, signal.SIGKILL)  # the build and Nuitka with it
            if child.wait() == -signal.SIGKILL:
                break
            shutil.rmtree(root / "v1" / "entries" / "k")  # it finished: that was no kill
            moment /= 2
        assert child.returncode == -signal.SIGKILL, f"seed {seed}: finished before {moment:.2f}s"
        cache = BuildCache(root, "check", rebuild=False)
        assert cache.lookup("k")[:2] == (None, "miss"), f"seed {seed}, killed at {moment:.2f}s"
        lock = root / "v1" / "locks" / "k.lock"
        if lock.exists():
            with lock.open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held
    done = subprocess.run(
        [sys.executable, tmp_path / "child.py", root, source], capture_output=True, timeout=600
    )
    assert done.stdout.decode().strip() == "k built", done.stderr.decode()[-2000:]
    assert [p.parent.name for p in (root / "v1" / "entries").glob("*/*")] == ["k"]
    # Each killed build's supervisor outlived it and killed Nuitka, scons and the C compilers
    # (before the supervisor, they ran on as orphans).
    left = processes_mentioning(str(root))
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert left == []


def processes_mentioning(text: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if text.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
    return found


# Issue 11, point 4: a session that dies (SIGKILL: a CI timeout; SIGTERM to its group: a
# cancelled job) or is interrupted (Ctrl-C: SIGINT to its group) leaves no build, no run and
# no daemon behind. Each runs a real pytest session in a process group of its own.
SESSION_KILLS = [
    pytest.param(signal.SIGKILL, False, id="SIGKILL-to-pytest"),
    pytest.param(signal.SIGKILL, True, id="SIGKILL-to-its-group"),
    pytest.param(signal.SIGTERM, True, id="SIGTERM-to-its-group"),
    pytest.param(signal.SIGINT, True, id="Ctrl-C"),
]


def carrying(marker: str, root: Path, exclude: int) -> dict[int, str]:
    """Live processes (argv shown) with ``marker`` in their argv or environment, or working
    under ``root``; but ``exclude``."""
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            argv = (proc / "cmdline").read_bytes()
            mine = marker.encode() in argv + (proc / "environ").read_bytes()
            here = Path(os.readlink(proc / "cwd")).is_relative_to(root)
            if (mine or here) and int(proc.name) != exclude and process.running(int(proc.name)):
                found[int(proc.name)] = argv.replace(b"\0", b" ").decode()[:200]
    return found


def survivors(marker: str, root: Path, exclude: int, within: float = 5) -> list[str]:
    """What still carries ``marker`` after ``within`` seconds; killed, and named."""
    deadline = time.monotonic() + within
    while (found := carrying(marker, root, exclude)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in found:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return sorted(found.values())


def start_session(folder: Path, test: str, *options: str) -> subprocess.Popen[bytes]:
    (folder / "test_app.py").write_text(textwrap.dedent(test))
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--nuitka-cache-dir={folder.parent / 'cache'}",
            *options,
            "test_app.py",
        ],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(TESTS)},
        start_new_session=True,
        preexec_fn=default_sigint,  # its own group, to be killed as CI or a terminal would
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition: Callable[[], bool], what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds:.0f}s"
        time.sleep(0.02)


def kill_session(session: subprocess.Popen[bytes], number: int, group: bool) -> bool:
    """Sends the signal; whether the session ended within 30 s (an interrupted session ends
    now, not when its runs would have)."""
    if group:
        os.killpg(session.pid, number)
    else:
        os.kill(session.pid, number)
    try:
        session.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(session.pid, signal.SIGKILL)
        session.wait()
        return False
    return True


@pytest.mark.parametrize(("number", "group"), SESSION_KILLS)
def test_a_killed_session_leaves_no_run_or_daemon(tmp_path: Path, number: int, group: bool) -> None:
    """Fast: the stand-in compiler; script and binary each start a daemon, then hang."""
    marker = f"pytest-nuitka-session-{uuid.uuid4().hex}"
    folder = tmp_path / "session"
    folder.mkdir()
    (folder / "app.py").write_text(
        textwrap.dedent("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(600)
            os._exit(0)
        time.sleep(600)
        """)
    )
    test = f"""
    def test_it(nuitka):
        nuitka.compile("app.py", timeout=600).run_both({marker!r}).assert_match()
    """
    session = start_session(folder, test, "-p", "standin", "--nuitka-compile")

    def apps_and_daemons() -> int:
        found = carrying(marker, tmp_path / "none", session.pid).values()
        return sum("supervise.py" not in argv for argv in found)

    wait_for(lambda: apps_and_daemons() == 4, "two runs with their daemons", 60)
    ended = kill_session(session, number, group)
    assert survivors(marker, tmp_path / "cache", session.pid) == []
    assert ended, "the session went on after the signal"


@pytest.mark.parametrize(("number", "group"), SESSION_KILLS)
@pytest.mark.real
def test_a_session_killed_during_a_real_build_leaves_no_nuitka_running(
    tmp_path: Path, pytestconfig: pytest.Config, number: int, group: bool
) -> None:
    """Real Nuitka, killed while scons runs: Nuitka, scons, ccache and gcc must all go."""
    from pytest_nuitka.plugin.fixture import BUILDER

    if not pytestconfig.stash[BUILDER].settings.compile:
        pytest.skip("the binary side needs --nuitka-compile")
    marker = f"pytest-nuitka-build-{uuid.uuid4().hex}"
    folder = tmp_path / "session"
    folder.mkdir()
    # A unique source (a ccache miss), big enough that the C compiler takes a while.
    body = "".join(f"def f{i}(x):\n    return x * {i} + len({marker!r})\n" for i in range(300))
    (folder / "app.py").write_text(body + "print(f1(1))\n")
    test = f"""
    def test_it(nuitka):
        nuitka.compile("app.py", env={{"PYTEST_NUITKA_MARKER": {marker!r}}}).run_both()
    """
    session = start_session(folder, test, "--nuitka-compile")
    root = tmp_path / "cache"
    wait_for(
        lambda: any("scons" in argv for argv in carrying(marker, root, session.pid).values()),
        "scons",
        120,
    )
    ended = kill_session(session, number, group)
    assert survivors(marker, root, session.pid) == []
    assert ended, "the session went on after the signal"
