"""A standard-library app for the portability checks: it reads the data file beside it that it
is told to, any other file, and imports what it is told to.

    python app.py --data greeting.txt --read /some/file --import json
"""

import argparse
import importlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", action="append", default=[], help="a data file beside the app")
    parser.add_argument("--read", action="append", default=[], help="any file, by path")
    parser.add_argument("--import", dest="imports", action="append", default=[])
    args = parser.parse_args()
    for name in args.data:
        print("data", name, (HERE / name).read_text().strip())
    for path in args.read:
        print("read", path, len(Path(path).read_bytes()), "bytes")
    for name in args.imports:
        importlib.import_module(name)
        print("imported", name)


if __name__ == "__main__":
    main()
