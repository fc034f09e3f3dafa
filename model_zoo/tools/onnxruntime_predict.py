"""Serve an ONNX model the way production does: ONNX Runtime on the CPU, no torch.

    python onnxruntime_predict.py MODEL --inputs NAME=FILE.npy [...] --out DIR [--names N ...]

Writes each of the model's outputs as DIR/<output name>.npy, for the plugin to compare;
``--names`` renames them in order (exporters name outputs as they please: ``Identity:0``).
"""

import argparse
from pathlib import Path

import numpy as np
import onnxruntime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--inputs", nargs="+", required=True, metavar="NAME=FILE")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--names", nargs="+", default=[], metavar="NAME")
    args = parser.parse_args()
    session = onnxruntime.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    feeds = {}
    for given in args.inputs:
        name, _, path = given.partition("=")
        feeds[name] = np.load(path)
    names = [output.name for output in session.get_outputs()]
    shown = args.names + names[len(args.names) :]
    for name, value in zip(shown, session.run(names, feeds), strict=True):
        np.save(args.out / f"{name}.npy", value)


if __name__ == "__main__":
    main()
