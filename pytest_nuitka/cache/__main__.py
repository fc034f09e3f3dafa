"""Show the build cache, least recently used first, and prune it to a size (kept failures and
the scratch of killed builds count, and go first when they are old).

python -m pytest_nuitka.cache [--cache-dir DIR] [--prune SIZE]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pytest_nuitka.base.errors import BuildError
from pytest_nuitka.base.settings import CACHE_ENV_VAR, default_cache_dir, parse_size
from pytest_nuitka.cache.local import FORMAT, BuildCache, Entry, Kept


def human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError


def row(entry: Entry) -> str:
    inputs = entry.meta.get("inputs", {})
    used = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.last_used))
    return (
        f"{used}  {human(entry.size):>10}  {inputs.get('mode', '?'):<11}  "
        f"{entry.meta.get('seconds', 0):>7.1f}s  {inputs.get('script', '?')}"
    )


def size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_nuitka.cache", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        help=f"default: ${CACHE_ENV_VAR}, else the plugin's default, {default_cache_dir()}",
    )
    parser.add_argument(
        "--prune", metavar="SIZE", type=size, help="remove LRU builds beyond SIZE (e.g. 5G)"
    )
    args = parser.parse_args(argv)
    root = (
        args.cache_dir or Path(os.environ.get(CACHE_ENV_VAR) or default_cache_dir())
    ).expanduser()
    problem = not_a_cache(root)
    if problem:
        print(f"{parser.prog}: {problem}", file=sys.stderr)
        return 0 if problem.startswith("no build cache") else 2
    cache = BuildCache(root.resolve(), "cachetool", rebuild=False)
    try:
        return show(cache, args.prune)
    except (OSError, BuildError) as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 2


def not_a_cache(root: Path) -> str | None:
    """Why ``root`` is not a build cache to show or prune, or None: nothing is created or
    removed on a mistyped path."""
    if not root.is_dir() and root.exists():
        return f"{root} is not a folder: give the build cache's folder (--cache-dir)"
    if not root.exists() or not any(root.iterdir()):
        return f"no build cache at {root}: nothing to show or prune (check --cache-dir)"
    if not (root / FORMAT).is_dir():
        return (
            f"{root} is not a pytest-nuitka build cache (it has no {FORMAT}/ folder): nothing "
            "was changed; give the folder --nuitka-cache-dir names (--cache-dir)"
        )
    return None


def show(cache: BuildCache, prune: int | None) -> int:
    if prune is not None:
        removed = cache.prune(prune)
        builds = [e for e in removed if isinstance(e, Entry)]
        others = [e for e in removed if not isinstance(e, Entry)]
        line = f"removed {len(builds)} build(s), {human(sum(e.size for e in builds))}"
        if others:
            line += f"; {len(others)} leftover(s), {human(sum(e.size for e in others))}"
        print(line)
        if cache.busy:
            print(
                f"kept {len(cache.busy)} build(s) that a running session uses, "
                f"{human(sum(e.size for e in cache.busy))}: prune again once it has ended"
            )
    entries = cache.entries()
    print(f"{cache.root}: {len(entries)} build(s), {human(sum(e.size for e in entries))}")
    for kind, what in (
        (Kept.FAILED, "failed build(s) kept"),
        (Kept.TMP, "unfinished build folder(s)"),
        (Kept.EVIDENCE, "failed check(s) kept"),
    ):
        items = [item for item in cache.leftovers() if item.kind == kind]
        if items:
            print(f"  and {len(items)} {what}, {human(sum(i.size for i in items))} ({kind}/)")
    if entries:
        print(f"{'last used':<16}  {'size':>10}  {'mode':<11}  {'build':>8}  script")
        print("\n".join(row(e) for e in entries))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
