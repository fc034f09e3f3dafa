"""Serve a Keras .h5 the way a TensorFlow.js app gets it: the tensorflowjs converter, then
@tensorflow/tfjs in Node, predicting on the inputs saved beside the model.

    python tfjs_predict.py MODEL.h5 --inputs INPUTS.npy --out DIR [--name probs]

Writes the prediction as DIR/<name>.npy. The converter runs from an environment of its own
(tensorflowjs pins its own TensorFlow, which must never move the cell under test's): both it
and Node's packages come from ``bash setup.sh`` beside this file.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CONVERTER = HERE / ".venv" / "bin" / "tensorflowjs_converter"


def run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"{what} failed (exit status {done.returncode})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--inputs", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--name", default="probs")
    args = parser.parse_args()
    node = shutil.which("node")
    if node is None:
        sys.exit("TensorFlow.js runs in Node.js, which is not on PATH: install Node 20 and npm")
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as work:
        converted = Path(work) / "web_model"
        run(
            [str(CONVERTER), "--input_format", "keras", args.model, str(converted)],
            "tensorflowjs_converter",
        )
        inputs = np.load(args.inputs)
        given = Path(work) / "inputs.json"
        given.write_text(json.dumps({"shape": inputs.shape, "data": inputs.ravel().tolist()}))
        outputs = Path(work) / "outputs.json"
        run(
            [
                node,
                str(HERE / "predict.mjs"),
                str(converted / "model.json"),
                str(given),
                str(outputs),
            ],
            "TensorFlow.js",
        )
        result = json.loads(outputs.read_text())
    values = np.asarray(result["data"], dtype=np.float32).reshape(result["shape"])
    np.save(args.out / f"{args.name}.npy", values)


if __name__ == "__main__":
    main()
