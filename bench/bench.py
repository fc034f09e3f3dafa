"""Benchmark: what the plugin costs and what it saves, as ratios measured side by side.

    python bench/bench.py [--reps 3] [--json bench/results.json] [--only main-job,...]

Each measurement alternates its two sides within one run, several repetitions each, and
reports median and spread (min-max). Nuitka's cache and ccache are private to the run and
empty at its start, so "cold" means cold; the user's caches are not touched.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from pytest_nuitka.api.app import App  # noqa: E402
from pytest_nuitka.base import environment  # noqa: E402
from pytest_nuitka.base.settings import Mode, Settings  # noqa: E402
from pytest_nuitka.cache.local import Entry  # noqa: E402
from pytest_nuitka.compile.builder import Builder  # noqa: E402
from pytest_nuitka.compile.compilers import BuildRequest, NuitkaCompiler  # noqa: E402
from pytest_nuitka.matrix.report import markdown_table  # noqa: E402
from pytest_nuitka.run import scheduler  # noqa: E402

NUMPY_APP = ROOT / "tests" / "apps" / "numpy_stats"
KERAS_APP = ROOT / "tests" / "apps" / "keras_predict" / "app.py"


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


class Bench:
    def __init__(self, work: Path, reps: int) -> None:
        self.work = work
        self.reps = reps
        self.rows: list[dict[str, Any]] = []
        self.user_env = dict(os.environ)  # the main job keeps the user's compiler caches
        os.environ["NUITKA_CACHE_DIR"] = str(work / "nuitka-cache")
        os.environ["CCACHE_DIR"] = str(work / "ccache")
        self.count = 0

    def folder(self, name: str) -> Path:
        self.count += 1
        path = self.work / f"{self.count:03d}-{name}"
        path.mkdir(parents=True)
        return path

    def builder(self, cache: Path | None = None) -> Builder:
        settings = Settings(
            compile=True, cache_dir=cache or self.folder("cache"), cache_bytes=1 << 40
        )
        return Builder(settings, NuitkaCompiler, "bench", lambda _: None, str)

    def build(self, builder: Builder, script: Path) -> Path:
        entry = builder.build(script, mode=Mode.ACCELERATED, options=(), data=(), ship=(), env={})
        return entry.executable

    def build_each(self, builder: Builder, scripts: list[Path]) -> None:
        for script in scripts:
            self.build(builder, script)

    def build_fresh(self, cache: Path, script: Path) -> Path:
        """A build by a new session's builder (nothing memoised)."""
        return self.build(self.builder(cache), script)

    def row(self, name: str, a: str, b: str, va: list[float], vb: list[float], target: str,
            met: bool | None, unit: str = "s", note: str = "") -> None:  # fmt: skip
        ratios = [x / y for x, y in zip(va, vb, strict=True)]
        self.rows.append(
            {
                "measure": name,
                "a": a,
                "b": b,
                "unit": unit,
                "a_values": spread(va),
                "b_values": spread(vb),
                "ratio": spread(ratios),
                "target": target,
                "met": met,
                "note": note,
            }
        )

    def app_copy(self, tag: str) -> Path:
        folder = self.folder(f"app-{tag}")
        for item in NUMPY_APP.iterdir():
            if item.suffix == ".py":
                shutil.copy2(item, folder / item.name)
        return folder / "app.py"

    def compile_overhead(self) -> Path:
        """Cold compile (plugin cache empty) through the plugin vs the same Nuitka command."""
        script = self.app_copy("cold")
        warm = self.build(self.builder(), script)  # fills the private ccache once
        plugin, hand = [], []
        for _ in range(self.reps):
            builder = self.builder()
            plugin.append(timed(functools.partial(self.build, builder, script)))
            request = BuildRequest(
                script, Mode.ACCELERATED, builder.options(()), (), (), dict(os.environ), 1800.0
            )
            workdir = self.folder("by-hand")
            command = NuitkaCompiler().command(request, workdir)
            hand.append(timed(functools.partial(run_ok, command, workdir)))
        overhead = statistics.median(plugin) / statistics.median(hand) - 1
        self.row(
            "cold compile: plugin vs `python -m nuitka` by hand (ccache warm)",
            "plugin", "by hand", plugin, hand, "ratio <= 1.03", overhead <= 0.03,
        )  # fmt: skip
        return warm

    def rerun_cost(self) -> None:
        """A second session with nothing changed: lookup, fingerprint, checks, per app."""
        scripts = [self.app_copy(f"rerun{i}") for i in range(3)]
        cache = self.folder("cache-rerun")
        for script in scripts:
            self.build(self.builder(cache), script)
        costs, builds = [], 0
        for _ in range(self.reps):
            forget_session()
            builder = self.builder(cache)  # a new session: nothing memoised
            costs.append(timed(functools.partial(self.build_each, builder, scripts)) / 3)
            builds += builder.stats.builds
        per_app_ms = [c * 1000 for c in costs]
        self.rows.append(
            {
                "measure": "rerun, nothing changed: plugin cost per app",
                "unit": "ms",
                "a_values": spread(per_app_ms),
                "target": "< 50 ms per app, 0 compiles",
                "met": max(per_app_ms) < 50 and builds == 0,
                "note": f"{builds} compiles in {self.reps} sessions x 3 apps",
            }
        )

    def standalone_hit_cost(self) -> None:
        """A hit on a partial standalone dist (the torch classifier shipping torch, numpy and
        pillow: about 1 GB, tens of thousands of files): every file of the dist and of the
        shipped packages is checked against the entry's record."""
        script = ROOT / "model_zoo" / "torch_image_classifier" / "app.py"
        cache = self.folder("cache-standalone")
        data = [script.parent / "checkpoint", script.parent / "idx2cls.json"]
        ship = ["torch", "numpy", "pillow"]

        def build(builder: Builder) -> Entry:
            return builder.build(
                script, mode=Mode.STANDALONE, options=(), data=data, ship=ship, env={}
            )

        entry = build(self.builder(cache))
        files = len(entry.meta.get("product", {})) + len(
            entry.meta.get("footprint", {}).get("installed", {})
        )
        costs, builds = [], 0
        for _ in range(self.reps):
            forget_session()
            builder = self.builder(cache)
            costs.append(timed(functools.partial(build, builder)) * 1000)
            builds += builder.stats.builds
        self.rows.append(
            {
                "measure": "rerun, nothing changed: one partial standalone hit (torch, 1 GB)",
                "unit": "ms",
                "a_values": spread(costs),
                "target": "< 1000 ms per hit, 0 compiles",
                "met": max(costs) < 1000 and builds == 0,
                "note": f"{builds} compiles; {files} files checked per hit",
            }
        )

    def edit_rebuild(self) -> None:
        """A one-line edit: rebuild time vs a cold build with Nuitka's caches and ccache
        empty."""
        cold, edited = [], []
        for rep in range(self.reps):
            os.environ["NUITKA_CACHE_DIR"] = str(self.folder("nuitka-cache"))
            os.environ["CCACHE_DIR"] = str(self.folder("ccache"))
            script = self.app_copy(f"edit{rep}")
            cache = self.folder("cache-edit")
            cold.append(timed(functools.partial(self.build_fresh, cache, script)))
            with script.open("a") as f:
                f.write("# one edited line\n")
            edited.append(timed(functools.partial(self.build_fresh, cache, script)))
        share = statistics.median(edited) / statistics.median(cold)
        self.row(
            "one-line edit: rebuild vs cold (all caches empty)",
            "rebuild", "cold", edited, cold, "report the share left", None,
            note=f"{share:.0%} of the cold time is left",
        )  # fmt: skip
        os.environ["NUITKA_CACHE_DIR"] = str(self.work / "nuitka-cache")
        os.environ["CCACHE_DIR"] = str(self.work / "ccache")

    def concurrency(self) -> dict[str, int]:
        """run_both (script and binary at once) vs one after the other, on a Keras app."""
        binary = self.build(self.builder(), KERAS_APP)
        app = App(
            KERAS_APP, binary, mode=Mode.ACCELERATED, env={}, timeout=300,
            workdir=self.folder, resolve=Path,
        )  # fmt: skip
        both, serial = [], []
        peaks = {"script": 0, "binary": 0}
        for _ in range(self.reps):
            started = time.perf_counter()
            pair = app.run_both("--batch", "8")
            both.append(time.perf_counter() - started)
            started = time.perf_counter()
            runs = [app.run_script("--batch", "8"), app.run_binary("--batch", "8")]
            serial.append(time.perf_counter() - started)
            for run in [*runs, pair.script, pair.binary]:
                peaks[run.side] = max(peaks[run.side], run.max_rss_kb)
        ratio = statistics.median(both) / statistics.median(serial)
        self.row(
            "run_both concurrent vs serial (Keras app, TF import each side)",
            "concurrent", "serial", both, serial, "ratio <= 0.6", ratio <= 0.6,
        )  # fmt: skip
        return peaks

    def learned_noise(self) -> None:
        """What learning noise costs: a pair whose output differs by a time (the script runs a
        second time, after the pair) vs the same pair printing a constant (no second run)."""
        script = self.folder("learned") / "app.py"
        script.write_text(
            "import sys, time\n"
            "import numpy as np\n"
            "took = time.perf_counter_ns() if sys.argv[1] == 'vary' else 0\n"
            "print('mean', np.arange(10).mean(), 'took', took, 'ns')\n"
        )
        binary = self.build(self.builder(), script)
        app = App(
            script, binary, mode=Mode.ACCELERATED, env={}, timeout=300,
            workdir=self.folder, resolve=Path,
        )  # fmt: skip
        noisy, quiet = [], []
        for _ in range(self.reps):
            noisy.append(timed(lambda: app.run_both("vary").assert_match()))
            quiet.append(timed(lambda: app.run_both("same").assert_match()))
        ratio = statistics.median(noisy) / statistics.median(quiet)
        self.row(
            "learned noise: a pair whose output varies vs one whose output does not (numpy app)",
            "varies", "constant", noisy, quiet,
            "ratio <= 2.2: one more script run, only where the first comparison fails",
            ratio <= 2.2,
        )  # fmt: skip

    def xdist(self) -> None:
        """A suite of four apps, two tests each: -n 2 vs one process, caches empty."""
        suite = self.folder("suite")
        for i in range(4):
            folder = suite / f"app{i}"
            shutil.copytree(NUMPY_APP, folder)
            with (folder / "app.py").open("a") as f:
                f.write(f"# app {i}\n")
        tests = "\n".join(
            textwrap.dedent(f"""
            @pytest.mark.parametrize("seed", [1, 2])
            def test_app{i}(nuitka, seed):
                nuitka.compile("app{i}/app.py").run_both("--seed", str(seed)).assert_match()
            """)
            for i in range(4)
        )
        (suite / "test_suite.py").write_text("import pytest\n" + tests)
        single: list[float] = []
        parallel: list[float] = []
        builds: set[int] = set()
        for _ in range(self.reps):
            for workers, into in ((None, single), ("2", parallel)):
                command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "--nuitka-compile",
                           f"--nuitka-cache-dir={self.folder('cache-suite')}"]  # fmt: skip
                if workers:
                    command += ["-n", workers]
                started = time.perf_counter()
                out = run_ok(command, suite)
                into.append(time.perf_counter() - started)
                summary = next(line for line in out.splitlines() if "build(s) in" in line)
                builds.add(int(summary.split()[1]))
        ratio = statistics.median(parallel) / statistics.median(single)
        self.row(
            "xdist -n 2 vs one process: 4 apps x 2 tests, plugin cache empty",
            "-n 2", "one process", parallel, single, "compiles = 4 apps; ratio < 1",
            builds == {4} and ratio < 1, note=f"compiles per session: {sorted(builds)}",
        )  # fmt: skip

    def main_job(self) -> None:
        """The main job (the zoo, the README's first command) against its floor: the CPU its
        runs need shared out over the cores. Cold first (the plugin's cache empty; ccache and
        Nuitka's own cache as the user has them), then warm, on all the cores and on fewer
        (taskset), each session a new pytest process."""
        cache = self.folder("cache-main-job")
        cold = zoo_session(cache, self.user_env)
        everything = scheduler.cores()
        warm = [zoo_session(cache, self.user_env) for _ in range(self.reps)]
        ratios = [s.wall / (s.runs_cpu / everything) for s in warm]
        median = statistics.median(ratios)
        target = 1.15 if everything <= 2 else 1.3
        walls = [s.wall for s in warm]
        self.rows.append(
            {
                "measure": f"main job warm: wall / (its runs' CPU / {everything} cores)",
                "unit": "s",
                "a_values": spread(walls),
                "ratio": spread(ratios),
                "target": f"ratio <= {target}",
                "met": median <= target and all(s.builds == 0 for s in warm),
                "note": f"{warm[0].counts}; runs' CPU {median_of(warm, 'runs_cpu'):.0f} s, the "
                f"session's {median_of(warm, 'tree_cpu'):.0f} s; cold (the plugin's cache "
                f"empty): {cold.wall:.0f} s, {cold.builds} builds",
            }
        )
        scaling = []
        for count in sorted({1, 2, everything} - {0}):
            if count > everything:
                continue
            found = warm if count == everything else [zoo_session(cache, self.user_env, count)]
            scaling.append(f"{count} core(s) {statistics.median(s.wall for s in found):.0f} s")
        self.rows.append(
            {
                "measure": "main job warm: wall by cores",
                "unit": "s",
                "a_values": None,
                "target": "report",
                "met": None,
                "note": "; ".join(scaling),
            }
        )


@dataclass(frozen=True)
class Session:
    wall: float
    tree_cpu: float  # pytest and every process it waited for
    runs_cpu: float  # the script, binary and tool runs (the plugin's summary line)
    builds: int
    counts: str  # pytest's last line


def median_of(sessions: list[Session], name: str) -> float:
    return float(statistics.median(getattr(s, name) for s in sessions))


def zoo_session(cache: Path, env: dict[str, str], cores: int | None = None) -> Session:
    """``pytest --nuitka-compile model_zoo`` in a new process (on the first ``cores`` cores)."""
    command = [sys.executable, "-m", "pytest", "--nuitka-compile", "model_zoo", "-q", "-p",
               "no:randomly", "-p", "no:cacheprovider", f"--nuitka-cache-dir={cache}"]  # fmt: skip
    if cores is not None:
        command = ["taskset", "-c", f"0-{cores - 1}", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = run_ok(command, ROOT, env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tree = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = next(line for line in out.splitlines() if "build(s) in" in line)
    runs = re.search(r"^nuitka: (\d+) run\(s\), (\d+)s of CPU", out, re.MULTILINE)
    if runs is None:
        raise SystemExit(f"no run count in the plugin's summary: {out[-2000:]}")
    return Session(
        wall=wall,
        tree_cpu=tree,
        runs_cpu=float(runs.group(2)),
        builds=int(summary.split()[1]),
        counts=out.strip().splitlines()[-1].strip("= "),
    )


def peak_memory(bench: Bench) -> None:
    peaks = bench.concurrency()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    bench.rows.append(
        {
            "measure": "peak memory: the plugin's process; each script / binary run",
            "unit": "MiB",
            "a_values": None,
            "target": "report",
            "met": None,
            "note": f"plugin process {own / 1024:.0f} MiB; Keras script run "
            f"{peaks['script'] / 1024:.0f} MiB, its binary {peaks['binary'] / 1024:.0f} MiB",
        }
    )


EQUIVALENT = ROOT / "bench" / "equivalent-mutants.toml"


def equivalent(name: str) -> bool:
    """Whether the surviving mutant is one bench/equivalent-mutants.toml judges equivalent."""
    entries = tomllib.loads(EQUIVALENT.read_text())["equivalent"] if EQUIVALENT.exists() else []
    function = name.rsplit("__mutmut_", 1)[0]
    shown = run_ok(["mutmut", "show", name], ROOT).splitlines()
    mutated = [line[1:].strip() for line in shown if line.startswith("+ ")]
    return any(e["function"] == function and e["line"] in mutated for e in entries)


def survivors() -> list[str]:
    listed = run_ok(["mutmut", "results"], ROOT)
    return [line.split(":")[0].strip() for line in listed.splitlines() if ": survived" in line]


def mutation(bench: Bench) -> None:
    """mutmut over the verdict's code (pyproject's [tool.mutmut]) against the fast tier: the
    share of the mutants that change behaviour which a test kills. A survivor judged
    equivalent (it changes no behaviour) is listed with why in bench/equivalent-mutants.toml."""
    mutants = ROOT / "mutants"
    cores = str(os.cpu_count() or 1)
    started = time.perf_counter()
    # Always afresh: mutmut numbers a function's mutants by the lines tests cover, so verdicts
    # kept from an earlier run may belong to other mutants once a test reaches a new line.
    shutil.rmtree(mutants, ignore_errors=True)
    mutants.mkdir()
    copied = {"pytest_nuitka", "tests", "conftest.py", "README.md", "pyproject.toml"}
    for entry in ROOT.iterdir():  # what tests read besides (the zoo, CI files): linked
        if entry.name not in {*copied, "mutants"}:
            (mutants / entry.name).symlink_to(entry)
    subprocess.run(["mutmut", "run", "--max-children", cores], cwd=ROOT, check=False)
    seconds = time.perf_counter() - started
    run_ok(["mutmut", "export-cicd-stats"], ROOT)
    stats = json.loads((mutants / "mutmut-cicd-stats.json").read_text())
    left = survivors()
    judged = [name for name in left if equivalent(name)]
    killed = stats["killed"] + stats["timeout"]
    changing = killed + stats["survived"] + stats["suspicious"] - len(judged)
    rate = 100 * killed / changing if changing else 0.0
    unjudged = sorted(set(left) - set(judged))
    print("survivors not judged equivalent:", *unjudged, sep="\n  ")
    bench.rows.append(
        {
            "measure": "mutation testing (mutmut) of check/ and run/normalize.py, fast tier",
            "unit": "%",
            "a_values": spread([rate]),
            "target": ">= 90% of the mutants that change behaviour killed",
            "met": rate >= 90,
            "note": (
                f"{killed} killed of {stats['total']} mutants; {stats['survived']} survived, "
                f"{len(judged)} of them judged equivalent (bench/equivalent-mutants.toml); "
                f"{stats['no_tests']} on lines no fast test runs; {seconds / 60:.0f} min"
            ),
        }
    )


MEASURES: dict[str, Callable[[Bench], Any]] = {
    "compile": Bench.compile_overhead,
    "rerun": Bench.rerun_cost,
    "standalone-hit": Bench.standalone_hit_cost,
    "edit": Bench.edit_rebuild,
    "concurrency": peak_memory,  # run_both concurrent vs serial, and the peaks it saw
    "xdist": Bench.xdist,
    "learned": Bench.learned_noise,
    "mutation": mutation,
    "main-job": Bench.main_job,
}


def forget_session() -> None:
    """What a session reads once about its environment, read again: each repetition costs
    what a new pytest session pays."""
    for name in ("installed_distributions", "_module_search_path", "_c_compiler"):
        cached = getattr(environment, name, None)
        if cached is not None:
            cached.cache_clear()


def run_ok(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done.stdout


def values(found: dict[str, float] | None, unit: str) -> str:
    if not found:
        return ""
    text = {k: (f"{x:.0f}" if unit in ("ms", "%") else f"{x:.2f}") for k, x in found.items()}
    return f"{text['median']} {unit} ({text['min']}-{text['max']})"


def table(rows: list[dict[str, Any]]) -> str:
    header = ["measure", "A / B", "A: median (min-max)", "B: median (min-max)", "A/B", "target"]
    cells = []
    for row in rows:
        ratio = row.get("ratio")
        cells.append(
            [
                row["measure"],
                f"{row['a']} / {row['b']}" if "a" in row else "",
                values(row["a_values"], row["unit"]),
                values(row.get("b_values"), row["unit"]),
                f"{ratio['median']:.3f} ({ratio['min']:.3f}-{ratio['max']:.3f})" if ratio else "",
                row["target"] + (f"; {row['note']}" if row["note"] else ""),
                {True: "yes", False: "NO", None: "-"}[row["met"]],
            ]
        )
    return "\n".join(markdown_table([*header, "met"], cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument(
        "--only",
        type=lambda text: text.split(","),
        default=list(MEASURES),
        help=f"measures to run, of: {', '.join(MEASURES)}; the others' rows are kept from --json",
    )
    args = parser.parse_args()
    unknown = set(args.only) - set(MEASURES)
    if unknown:
        parser.error(
            f"--only: unknown {', '.join(sorted(unknown))}; choose from {', '.join(MEASURES)}"
        )
    with tempfile.TemporaryDirectory(prefix="pytest-nuitka-bench-") as tmp:
        bench = Bench(Path(tmp), args.reps)
        started = time.perf_counter()
        for name in args.only:
            MEASURES[name](bench)
        machine = (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        ran = {row["measure"] for row in bench.rows}
        kept = []
        if args.json.exists() and set(args.only) != set(MEASURES):
            kept = [r for r in json.loads(args.json.read_text())["rows"] if r["measure"] not in ran]
        result = {
            "machine": machine,
            "reps": args.reps,
            "seconds": round(time.perf_counter() - started, 1),
            "rows": kept + bench.rows,
        }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(f"machine: {machine}; {args.reps} repetitions; {result['seconds']:.0f} s in all")
    print(table(result["rows"]))
    failed = [r["measure"] for r in bench.rows if r["met"] is False]
    for name in failed:
        print(f"target missed: {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
