"""Runs start as soon as their inputs exist, bounded by the slots, and none runs twice: with
the stand-in compiler and apps that sleep, so that an overlap is certain and fast to see."""

from __future__ import annotations

import os
import textwrap
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from pytest_nuitka.run import runs
from pytest_nuitka.run.scheduler import Scheduler, default_slots

if TYPE_CHECKING:
    from conftest import PluginRun

# Each run logs "<side> <command> <start> <end>" to RUN_LOG, sleeping SLEEP seconds between.
SLEEPER = """
import os, sys, time
import numpy as np
from pytest_nuitka.emit import emit

started = time.time()
time.sleep(float(os.environ["SLEEP"]))
command = sys.argv[1]
if command == "save":
    with open(sys.argv[2], "w") as f:
        f.write("42")
value = int(open(sys.argv[2]).read()) if command == "load" else 42
emit("value", np.int64([value]))
side = "binary" if "__compiled__" in globals() else "script"
with open(os.environ["RUN_LOG"], "a") as log:
    log.write(f"{side} {command} {started} {time.time()}\\n")
"""

MANIFEST = """
description = "sleeps"
env = {{ RUN_LOG = "{log}", SLEEP = "{sleep}" }}

[[runs]]
name = "predict"
args = ["predict"]

[[roundtrips]]
name = "txt"
save = ["save", "{{artifact}}"]
load = ["load", "{{artifact}}"]
artifact = "value.txt"
against = "{against}"
"""


def sleeping_case(
    pytester: pytest.Pytester,
    folder: str,
    log: Path,
    sleep: float = 1.5,
    against: str = "save",
) -> None:
    target = pytester.mkdir(folder)
    (target / "app.py").write_text(textwrap.dedent(SLEEPER))
    manifest = MANIFEST.format(log=log, sleep=sleep, against=against)
    (target / "nuitka-case.toml").write_text(textwrap.dedent(manifest))


def logged(log: Path) -> list[tuple[str, str, float, float]]:
    found = []
    for line in log.read_text().splitlines():
        side, command, start, end = line.split()
        found.append((side, command, float(start), float(end)))
    return found


def most_at_once(spans: list[tuple[str, str, float, float]]) -> int:
    events = sorted([(s, 1) for *_, s, _ in spans] + [(e, -1) for *_, e in spans])
    now = most = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def test_a_case_starts_its_independent_runs_together(
    pytester: pytest.Pytester, plugin_run: PluginRun, tmp_path: Path
) -> None:
    """The run pair and both saves start at once; the loads start once their save is done,
    before the items that need them are reached; the items report in their order."""
    log = tmp_path / "runs.log"
    sleeping_case(pytester, "demo", log)
    started = time.monotonic()
    result = plugin_run("--nuitka-compile", "--nuitka-jobs=4", "-v", "-p", "no:randomly")
    took = time.monotonic() - started
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        [
            "demo/nuitka-case.toml::run:predict PASSED*",
            "demo/nuitka-case.toml::roundtrip:txt:script->script PASSED*",
            "demo/nuitka-case.toml::roundtrip:txt:script->binary PASSED*",
            "demo/nuitka-case.toml::roundtrip:txt:binary->script PASSED*",
            "demo/nuitka-case.toml::roundtrip:txt:binary->binary PASSED*",
            "nuitka: 8 run(s), *s of CPU, at most 4 at once",
        ]
    )
    spans = logged(log)
    assert sorted((side, command) for side, command, *_ in spans) == sorted(
        [("script", "predict"), ("binary", "predict")]
        + [("script", "save"), ("binary", "save")]
        + [("script", "load"), ("binary", "load")] * 2
    ), "each run once"
    first = [s for s in spans if s[1] in ("predict", "save")]
    assert most_at_once(first) == 4, spans
    assert most_at_once(spans) == 4, spans
    serial = sum(end - start for *_, start, end in spans)
    assert took < serial, (took, serial)  # 8 runs of 1.5 s: 12 s one after another


def test_the_slots_bound_the_runs_at_once(
    pytester: pytest.Pytester, plugin_run: PluginRun, tmp_path: Path
) -> None:
    log = tmp_path / "runs.log"
    sleeping_case(pytester, "demo", log, sleep=0.3)
    result = plugin_run("--nuitka-compile", "--nuitka-jobs=1")
    result.assert_outcomes(passed=5)
    assert most_at_once(logged(log)) == 1
    result.stdout.fnmatch_lines(["*8 run(s), *at most 1 at once"])


def test_the_next_case_fills_the_cores_a_case_leaves_idle(
    pytester: pytest.Pytester, plugin_run: PluginRun, tmp_path: Path
) -> None:
    """a's first four runs (its loads wait for its saves) leave two of six slots idle: b's
    runs take them while a's first check waits."""
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    sleeping_case(pytester, "a", log_a)
    sleeping_case(pytester, "b", log_b)
    result = plugin_run("--nuitka-compile", "--nuitka-jobs=6", "-p", "no:randomly")
    result.assert_outcomes(passed=10)
    a, b = logged(log_a), logged(log_b)
    first_done = min(end for _, command, _, end in a if command == "save")
    assert sum(start < first_done for *_, start, _ in b) == 2, (a, b)
    result.stdout.fnmatch_lines(["*16 run(s)*"])


def test_a_run_held_against_a_save_and_the_binary_is_one_run(
    pytester: pytest.Pytester, plugin_run: PluginRun, tmp_path: Path
) -> None:
    """The script's predict run feeds run:predict and every round-trip direction."""
    log = tmp_path / "runs.log"
    sleeping_case(pytester, "demo", log, sleep=0.1, against="run:predict")
    plugin_run("--nuitka-compile").assert_outcomes(passed=5)
    commands = [(side, command) for side, command, *_ in logged(log)]
    assert commands.count(("script", "predict")) == 1
    assert len(commands) == 8


def test_only_the_runs_of_selected_items_start(
    pytester: pytest.Pytester, plugin_run: PluginRun, tmp_path: Path
) -> None:
    log = tmp_path / "runs.log"
    sleeping_case(pytester, "demo", log, sleep=0.1)
    result = plugin_run("--nuitka-compile", "demo/nuitka-case.toml::roundtrip:txt:binary->script")
    result.assert_outcomes(passed=1)
    assert sorted((s, c) for s, c, *_ in logged(log)) == [("binary", "save"), ("script", "load")]


def test_a_case_skipped_whole_starts_nothing(
    pytester: pytest.Pytester, plugin_run: PluginRun, tmp_path: Path
) -> None:
    log = tmp_path / "runs.log"
    sleeping_case(pytester, "demo", log, sleep=0.1)
    manifest = pytester.path / "demo" / "nuitka-case.toml"
    manifest.write_text('requires = ["no-such-distribution"]\n' + manifest.read_text())
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(skipped=5)
    assert not log.exists()
    result.stdout.fnmatch_lines(["nuitka: 0 build(s)*0 cache hit(s)*", "nuitka: 0 run(s)*"])


def test_pytest_stopping_early_leaves_no_run_behind(
    pytester: pytest.Pytester, plugin_run: PluginRun, tmp_path: Path
) -> None:
    """-x stops at the first failure: the runs started ahead are stopped, none is left."""
    log = tmp_path / "runs.log"
    sleeping_case(pytester, "a", log, sleep=0.1)
    sleeping_case(pytester, "b", tmp_path / "b.log", sleep=60)
    broken = pytester.path / "a" / "app.py"
    differs = "np.int64([value + ('__compiled__' in globals())])"
    broken.write_text(broken.read_text().replace("np.int64([value])", differs))
    started = time.monotonic()
    result = plugin_run("--nuitka-compile", "--nuitka-jobs=4", "-x", "-p", "no:randomly")
    assert time.monotonic() - started < 30
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert not (tmp_path / "b.log").exists()


# The scheduler alone.


def fake_run(seconds: float = 0.0) -> runs.Run:
    time.sleep(seconds)
    return cast(runs.Run, type("FakeRun", (), {"cpu_seconds": seconds})())


def test_the_earliest_case_starts_first() -> None:
    scheduler = Scheduler(1)
    gate = threading.Event()
    order: list[int] = []

    def job(priority: int) -> Callable[[], runs.Run]:
        def work() -> runs.Run:
            order.append(priority)
            return fake_run()

        return work

    scheduler.submit(lambda: (gate.wait(5), fake_run())[1], priority=0)
    futures = [scheduler.submit(job(p), priority=p) for p in (3, 1, 2, 1)]
    gate.set()
    for future in futures:
        scheduler.wait(future)
    assert order == [1, 1, 2, 3]
    assert scheduler.stats.runs == 5
    scheduler.close()


def test_a_job_that_raises_raises_in_the_test_that_waits() -> None:
    scheduler = Scheduler(2)

    def broken() -> runs.Run:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        scheduler.wait(scheduler.submit(broken))
    scheduler.close()


def test_closing_drops_what_has_not_started() -> None:
    scheduler = Scheduler(1)
    running = scheduler.submit(lambda: fake_run(0.2))
    waiting = scheduler.submit(fake_run)
    scheduler.close()
    assert running.done()
    with pytest.raises(CancelledError):
        waiting.result()
    assert scheduler.submit(fake_run).cancelled()


def test_idle_slots_are_fed_while_a_test_waits() -> None:
    scheduler = Scheduler(2)
    fed: list[int] = []

    def feed() -> bool:
        if fed:
            return False
        fed.append(1)
        return True

    scheduler.feed = feed
    scheduler.wait(scheduler.submit(lambda: fake_run(0.3)))
    assert fed == [1]
    scheduler.close()


def test_the_slots_are_the_cores_shared_among_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytest_nuitka.run.scheduler as scheduler

    monkeypatch.setattr(scheduler, "cores", lambda: 16)
    monkeypatch.setattr(scheduler, "available_memory", lambda: 64 << 30)
    assert default_slots() == 16
    assert default_slots(workers=4) == 4
    assert default_slots(workers=32) == 1
    monkeypatch.setattr(scheduler, "available_memory", lambda: 5 << 30)
    assert default_slots() == 5  # about 1 GiB a run
    monkeypatch.setattr(scheduler, "available_memory", lambda: None)
    assert default_slots() == 16


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_a_bad_number_of_runs_at_once_is_a_usage_error(
    pytester: pytest.Pytester, plugin_run: PluginRun, value: str
) -> None:
    pytester.makeini(f"[pytest]\nnuitka_jobs = {value}\n")
    result = plugin_run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*nuitka_jobs: {value!r}: give a number of runs at once, 1 or more"]
    )


def test_the_header_says_how_many_runs_at_once(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    plugin_run("--nuitka-jobs=3").stdout.fnmatch_lines(["nuitka: Python *, 3 run(s) at once"])


# What a run made in a worker thread must not share with the main thread.


def test_runs_start_while_the_main_thread_sets_variables(tmp_path: Path) -> None:
    """pytest sets PYTEST_CURRENT_TEST at every phase; a child that inherited the process's
    environ meanwhile failed to start with EFAULT (measured: 153 of 918 starts in 8 s)."""
    from pytest_nuitka.base import process

    failures: list[BaseException] = []
    done = threading.Event()

    def start_many() -> None:
        while not done.is_set():
            try:
                process.run(
                    ["/bin/true"], cwd=tmp_path, env={"PATH": "/bin"}, stdin=None, timeout=10
                )
            except BaseException as error:
                failures.append(error)

    threads = [threading.Thread(target=start_many) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 3
    step = 0
    while time.monotonic() < deadline:
        step += 1
        os.environ["PYTEST_NUITKA_TEST_CHURN"] = "x" * (step % 64)
        os.environ[f"PYTEST_NUITKA_TEST_{step % 200}"] = "y"
        del os.environ["PYTEST_NUITKA_TEST_CHURN"]
    done.set()
    for thread in threads:
        thread.join()
    for name in [n for n in os.environ if n.startswith("PYTEST_NUITKA_TEST_")]:
        del os.environ[name]
    assert failures == []


def test_a_queued_run_has_its_outputs_read_by_the_thread_that_waits(tmp_path: Path) -> None:
    """NumPy parses an array's header with ast, whose state CPython 3.11 shares between
    threads: read in a worker while pytest parsed a failure's source, it broke pytest."""
    from pytest_nuitka.api.app import App
    from pytest_nuitka.base.settings import Mode

    script = tmp_path / "app.py"
    script.write_text(
        "import numpy as np\nfrom pytest_nuitka.emit import emit\nemit('x', np.arange(3))\n"
    )
    folders = iter(range(100))

    def workdir(name: str) -> Path:
        folder = tmp_path / f"{next(folders)}-{name}"
        folder.mkdir()
        return folder

    scheduler = Scheduler(1)
    app = App(
        script, None, mode=Mode.ACCELERATED, env={}, timeout=60, workdir=workdir,
        resolve=Path, scheduler=scheduler,
    )  # fmt: skip
    future = app.start("script")
    assert not future.result().outputs_read and future.result().outputs == {}
    run = app.wait(future)
    assert run.outputs_read and run.outputs["x"].tolist() == [0, 1, 2]
    assert app.wait(future) is run  # read once
    scheduler.close()


def test_a_case_after_a_test_of_another_kind_is_not_started_before_it(
    pytester: pytest.Pytester, plugin_run: PluginRun, tmp_path: Path
) -> None:
    """b's test writes the file c's app reads: c's runs wait for it, as pytest orders them,
    however many slots a's wait leaves idle."""
    sleeping_case(pytester, "a", tmp_path / "a.log", sleep=1)
    sleeping_case(pytester, "c", tmp_path / "c.log", sleep=0.1)
    app = pytester.path / "c" / "app.py"
    app.write_text(app.read_text().replace("started = ", "open('r').read()\nstarted = "))
    manifest = pytester.path / "c" / "nuitka-case.toml"
    text = manifest.read_text().replace('"predict"]', '"predict"]\nfiles = ["r"]')
    manifest.write_text(text.replace('"value.txt"', '"value.txt"\nfiles = ["r"]'))
    ready = pytester.path / "c" / "r"
    pytester.mkdir("b_prepare")
    (pytester.path / "b_prepare" / "test_prepare.py").write_text(
        f"def test_prepare():\n    open({str(ready)!r}, 'w').write('1')\n"
    )
    result = plugin_run("--nuitka-compile", "--nuitka-jobs=6", "-p", "no:randomly")
    result.assert_outcomes(passed=11)
