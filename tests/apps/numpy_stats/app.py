"""Summary statistics of a seeded sample: prints them and emits the arrays."""

import argparse

import numpy as np
from stats_helpers import summarize

from pytest_nuitka.emit import emit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sample = np.random.default_rng(args.seed).normal(size=(args.n, 4)).astype(np.float32)
    summary = summarize(sample)
    for name, value in summary.items():
        print(f"{name}: {np.array2string(value, precision=4)}")
        emit(name, value)
    emit("config", {"n": args.n, "seed": args.seed})


if __name__ == "__main__":
    main()
