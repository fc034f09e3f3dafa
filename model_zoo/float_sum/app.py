"""Sums of many floats, compared bit for bit: where a compiled program's arithmetic drifts from
CPython's, a prediction rounds it away and a sum does not.

Python 3.12 made the built-in ``sum()`` over floats compensated (Neumaier summation); a
compiler that implements ``sum()`` itself has to follow each Python release. The app sums the
same 200,000 seeded floats, spread over 17 orders of magnitude, seven ways and prints each
result in hex: the built-in ``sum()`` (with and without a start value, over a list and over a
generator), a plain ``+=`` loop, ``math.fsum``, and NumPy's pairwise sum in float64 and float32.

    python app.py
"""

import math
import random

import numpy as np

from pytest_nuitka.emit import emit

COUNT = 200_000


def values(seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(-1.0, 1.0) * 10.0 ** rng.randint(-8, 8) for _ in range(COUNT)]


def main() -> None:
    xs = values()
    loop = 0.0
    for x in xs:
        loop += x
    sums = {
        "sum": sum(xs),
        "sum_start": sum(xs, 0.5),
        "sum_generator": sum(x * x for x in xs),
        "loop": loop,
        "fsum": math.fsum(xs),
        "numpy_float64": float(np.asarray(xs, dtype=np.float64).sum()),
        "numpy_float32": float(np.asarray(xs, dtype=np.float32).sum()),
    }
    for name, total in sums.items():
        print(f"{name:14} {total.hex()}")
    emit("sums", np.array(list(sums.values()), dtype=np.float64))


if __name__ == "__main__":
    main()
