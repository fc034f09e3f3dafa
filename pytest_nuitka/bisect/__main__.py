"""Which release of a package changed what the compiled binary does?

    python -m pytest_nuitka.bisect nuitka --good 2.4 --bad 2.5 \\
        --with "tensorflow==2.16.*" --with "tf-keras==2.16.*" --env TF_USE_LEGACY_KERAS=1 \\
        -- model_zoo/tf_keras_import

Each tried release gets a virtual environment of its own (the pins, that release) and runs
the pytest selection with ``--nuitka-compile --runxfail``: good when every selected test
passes, bad when one fails, skipped when the release cannot be installed or cannot build.
``--trial MODULE:FUNCTION`` replaces the install-and-run step (tests use a stand-in): the
function takes the ``Setup`` and a ``say`` callable and returns a ``Trial``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from pytest_nuitka.base.environment import OLDEST_NUITKA
from pytest_nuitka.bisect import releases
from pytest_nuitka.bisect.search import BisectError, Trial, bisect, releases_between, summary
from pytest_nuitka.bisect.trial import RealTrial, Setup, collects_something


def version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise argparse.ArgumentTypeError(f"not a version: {text!r}") from None


def variable(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as error:
        raise argparse.ArgumentTypeError(f"not a regular expression: {text!r} ({error})") from None
    return text


def requirement(text: str) -> str:
    try:
        Requirement(text)
    except InvalidRequirement as error:
        raise argparse.ArgumentTypeError(f"not a requirement: {text!r} ({error})") from None
    return text


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"not a number of seconds above 0: {text!r}")
    return value


def writable_file(path: Path) -> str | None:
    """Why ``path`` cannot be written at the end of a bisect that takes hours, or None."""
    if path.is_dir():
        return f"--json {path} is a folder: give a file name"
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"--json {path}: the folder {folder} does not exist"
    if not os.access(folder, os.W_OK):  # written beside, then renamed over it
        return f"--json {path} cannot be written (permission denied)"
    return None


def writable_folder(path: Path) -> str | None:
    """Why ``path`` cannot hold the bisect's environments, or None."""
    existing = next((p for p in (path, *path.parents) if p.exists()), Path("/"))
    if not existing.is_dir():
        return f"--work {path}: {existing} is not a folder"
    if not os.access(existing, os.W_OK):
        return f"--work {path} cannot be written (permission denied on {existing})"
    return None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m pytest_nuitka.bisect",
        description=__doc__.split("\n\n")[0],
        usage="%(prog)s PACKAGE [options] -- [pytest selection: paths, node ids, -k EXPR]",
    )
    p.add_argument("package", help="the distribution to bisect: nuitka, tensorflow, keras ...")
    p.add_argument("--good", type=version, help="a release where the selection passes")
    p.add_argument("--bad", type=version, help="a release where it fails")
    p.add_argument(
        "--fix",
        action="store_true",
        help="look for the first good release after a bad one (which upgrade fixes it); "
        "without it, the first bad release after a good one",
    )
    p.add_argument(
        "--with",
        dest="pins",
        action="append",
        default=[],
        type=requirement,
        metavar="REQUIREMENT",
        help='the rest of the cell, e.g. "tensorflow==2.15.*" (repeatable), installed over '
        "the running environment",
    )
    p.add_argument(
        "--env",
        action="append",
        type=variable,
        default=[],
        metavar="NAME=VALUE",
        help="a variable for every run, e.g. TF_USE_LEGACY_KERAS=1 (repeatable)",
    )
    p.add_argument(
        "--isolated",
        action="store_true",
        help="install the pins and the plugin into an environment of their own instead of "
        "layering them on the running environment (slower, and sees nothing of it)",
    )
    p.add_argument(
        "--allow-cuda",
        action="store_true",
        help="install releases that pull NVIDIA's CUDA wheels (most torch releases on PyPI: "
        "gigabytes each); without it they are skipped",
    )
    p.add_argument("--pre", action="store_true", help="try pre-releases too")
    p.add_argument(
        "--build-failure-is-bad",
        action="store_true",
        help="count a release that cannot build the selection as bad, not skipped",
    )
    p.add_argument(
        "--match",
        type=regex,
        metavar="REGEX",
        help="only a failure whose message matches counts as bad (which release changed "
        "how it fails: --match SIGSEGV)",
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="write every step here")
    p.add_argument(
        "--work",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        / "pytest-nuitka-bisect",
        help="environments and step logs, kept between runs (default: %(default)s)",
    )
    p.add_argument("--timeout", type=seconds, default=3600.0, help="seconds per step")
    p.add_argument(
        "--trial",
        metavar="MODULE:FUNCTION",
        help="replace the install-and-run step: FUNCTION(setup, say) returns a callable "
        "from a release to its Step (a stand-in for tests)",
    )
    return p


def load_trial(spec: str | None, setup: Setup, say: Callable[[str], None]) -> Trial:
    if spec is None:
        return RealTrial(setup, say)
    module, _, name = spec.partition(":")
    factory = getattr(importlib.import_module(module), name)
    trial: Trial = factory(setup, say)
    return trial


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    options = parser()
    args, selection = options.parse_args(argv[:cut]), argv[cut + 1 :]
    problem = (writable_file(args.json) if args.json else None) or writable_folder(args.work)
    if problem:  # before anything is installed or run: a bisect takes hours
        options.error(problem)
    say = print
    try:
        offered = releases.available(args.package, pre=args.pre)
        if args.package.lower() == "nuitka":  # below it the plugin refuses to build
            offered = [v for v in offered if v >= Version(OLDEST_NUITKA)]
        low, high = offered[0], offered[-1]
        good = args.good or (high if args.fix else low)
        bad = args.bad or (low if args.fix else high)
        if args.fix and not bad < good:
            raise BisectError(
                f"--fix looks for the first good release after a bad one: "
                f"--bad ({bad}) must be older than --good ({good})"
            )
        if not args.fix and not good < bad:
            raise BisectError(
                f"--good ({good}) must be older than --bad ({bad}); to find the release "
                f"that fixes it, add --fix"
            )
        if args.trial is None:
            collects_something(selection)
        setup = Setup(
            package=args.package,
            pins=tuple(args.pins),
            env=dict(args.env),
            selection=tuple(selection),
            work=args.work,
            build_failure_is_bad=args.build_failure_is_bad,
            timeout=args.timeout,
            isolated=args.isolated,
            allow_cuda=args.allow_cuda,
            match=args.match,
        )
        span = releases_between(offered, min(good, bad), max(good, bad))
        say(
            f"bisect: {args.package}, good {good}, bad {bad}: {len(span)} releases; "
            f"selection: {' '.join(selection) or '(all tests)'}"
        )
        answer = bisect(
            args.package,
            offered,
            good=good,
            bad=bad,
            trial=load_trial(args.trial, setup, say),
            explicit=(args.good is not None, args.bad is not None),
            say=say,
        )
    except BisectError as error:
        print(f"bisect: error: {error}", file=sys.stderr)
        return 2
    print(summary(answer))
    if args.trial is None:
        print(f"bisect: each step's pytest output is in {args.work / 'steps'}")
    if args.json:
        record = {
            "pins": setup.pins,
            "env": dict(setup.env),
            "selection": setup.selection,
            **answer.record(),
        }
        try:
            partial = args.json.with_name(f".{args.json.name}.partial")
            partial.write_text(json.dumps(record, indent=1) + "\n")
            partial.replace(args.json)
        except OSError as error:
            print(f"bisect: error: the steps could not be written to {args.json}: {error}")
            print(json.dumps(record, indent=1))
            return 2
        print(f"bisect: every step in {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
