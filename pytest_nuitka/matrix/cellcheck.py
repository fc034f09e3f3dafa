"""Check that a matrix cell really has the versions and the Keras it claims, before its
tests run.

    python -m pytest_nuitka.matrix.cellcheck --tf-keras 2 --keras 3 --backend tensorflow \
        --requires "tensorflow==2.16.*"

TF 2.15 routes ``tf.keras`` to Keras 3 when Keras 3 is installed, and ``TF_USE_LEGACY_KERAS``
counts only as ``1``, ``true`` or ``True``: a cell can silently be another cell. This command
imports the frameworks; it runs in its own process, never inside pytest. ``--requires``
refuses a cell that moved: a tool installed into it that pulled another TensorFlow (the
tensorflowjs converter would: it gets an environment of its own).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata

from packaging.requirements import Requirement

from pytest_nuitka.zoo.conditions import check_condition, holds, installed

LEGACY_ON = ("1", "true", "True")


def what_is(condition: str) -> str:
    """What the cell has where a condition does not hold."""
    if condition.startswith("env:"):
        name = condition[4:].replace("!=", "=").split("=")[0]
        return f"{name}={os.environ.get(name)!r}"
    name = Requirement(condition.removeprefix("!")).name
    return f"{name} {installed(name) or '(not installed)'}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_nuitka.matrix.cellcheck", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--tf-keras",
        type=int,
        metavar="MAJOR",
        help="major version tf.keras must be (2: Keras 2 or tf_keras)",
    )
    parser.add_argument(
        "--keras", type=int, metavar="MAJOR", help="major version of the keras package"
    )
    parser.add_argument("--backend", help="Keras backend that must be in use")
    parser.add_argument(
        "--requires",
        action="append",
        default=[],
        metavar="CONDITION",
        help='a distribution version that must hold, e.g. "tensorflow==2.16.*" (repeatable)',
    )
    args = parser.parse_args(argv)
    problems, seen = [], []
    for condition in args.requires:
        problem = check_condition(condition)
        if problem:
            parser.error(problem)
        if not holds(condition, os.environ):
            problems.append(f"the cell requires {condition}; it has {what_is(condition)}")
    legacy = os.environ.get("TF_USE_LEGACY_KERAS")
    if legacy is not None and legacy not in (*LEGACY_ON, "0", "false", "False", ""):
        problems.append(
            f"TF_USE_LEGACY_KERAS={legacy!r} counts as off: only "
            + "/".join(LEGACY_ON)
            + " turn it on"
        )
    if args.tf_keras is not None:
        import tensorflow as tf

        provider = tf.keras.__name__.split(".")[0]  # keras, or tf_keras for the legacy one
        version = metadata.version(provider.replace("_", "-"))
        seen.append(f"tensorflow {tf.__version__}, tf.keras {version} ({tf.keras.__name__})")
        if not version.startswith(f"{args.tf_keras}."):
            problems.append(f"tf.keras is {version}, the cell claims Keras {args.tf_keras}")
    if args.keras is not None or args.backend:
        import keras

        seen.append(f"keras {keras.__version__}, backend {keras.backend.backend()}")
        if args.keras is not None and not keras.__version__.startswith(f"{args.keras}."):
            problems.append(f"keras is {keras.__version__}, the cell claims Keras {args.keras}")
        if args.backend and keras.backend.backend() != args.backend:
            problems.append(
                f"Keras backend is {keras.backend.backend()}, the cell claims {args.backend}"
            )
    print("cell:", "; ".join(seen) or "nothing checked", f"; TF_USE_LEGACY_KERAS={legacy}")
    for problem in problems:
        print("cell check failed:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
