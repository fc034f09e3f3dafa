"""Stderr as real programs write it: what compiling changes (noise) and what it must not
(a warning, a log line or an atexit message only one side prints).

    python app.py noise | sys-path | cli --count N | warning | log | atexit
"""

import argparse
import asyncio
import atexit
import logging
import sys
import warnings

COMPILED = "__compiled__" in globals()
if sys.argv[1:2] == ["noise"] and sys.argv[1] is "noise":  # noqa: F632 (a SyntaxWarning)
    pass


async def fetch() -> int:
    return 1


def noise() -> None:
    fetch()  # a coroutine never awaited: CPython warns, Nuitka's compiled coroutine does not
    warnings.warn("load() is deprecated, use open()", DeprecationWarning, stacklevel=1)
    warnings.warn("model saved without its optimizer", UserWarning, stacklevel=1)
    print("\ndone.\n", file=sys.stderr)  # blank lines around a message
    print("noise printed")


def differs(what: str) -> None:
    if what == "warning" and COMPILED:
        warnings.warn("falling back to the slow path", RuntimeWarning, stacklevel=1)
    if what == "log" and COMPILED:
        logging.warning("cache miss for model weights")
    if what == "atexit" and not COMPILED:
        atexit.register(lambda: print("flushed 3 records", file=sys.stderr))
    print(what, "printed")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["noise", "sys-path", "cli", "warning", "log", "atexit"])
    parser.add_argument("--count", type=int, required="cli" in sys.argv)
    args = parser.parse_args()
    if args.what == "noise":
        noise()
    elif args.what == "sys-path":
        print(sys.path)
        print(sys.argv[0].rsplit("/", 1)[-1])
    elif args.what == "cli":
        print(args.count)
    else:
        differs(args.what)
    asyncio.run(asyncio.sleep(0))


main()
