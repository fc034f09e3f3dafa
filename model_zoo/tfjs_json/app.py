"""A model for TensorFlow.js: its JSON, and an .h5 that users convert for the web.

TensorFlow.js reads the Keras 2 layout (``batch_input_shape``, list-shaped ``inbound_nodes``);
Keras 3 writes ``batch_shape`` and dict-shaped ``inbound_nodes``. Script and binary must
write the same JSON; the emitted ``layout`` shows which one this cell produces. ``--save``
predicts on fixed inputs and saves the model as .h5 with the inputs beside it (inputs.npy),
for the tensorflowjs converter and TensorFlow.js (model_zoo/tools/tfjs).

    python app.py OUT_DIR
    python app.py --save MODEL.h5
"""

import argparse
import json
import os
from pathlib import Path

import numpy as np

try:  # tf.keras, as TensorFlow.js users write it: Keras 2 or tf_keras where the cell has them
    from tensorflow import keras
except ImportError:  # Keras 3 on another backend
    import keras

from pytest_nuitka.emit import emit


def layout(config: dict) -> str:
    layers = config["config"]["layers"]
    input_config = layers[0]["config"]
    nodes = [node for layer in layers for node in layer.get("inbound_nodes", [])]
    if "batch_input_shape" in input_config and all(isinstance(n, list) for n in nodes):
        return "tfjs"
    return "keras3"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out_dir", nargs="?", help="folder that receives model.json")
    parser.add_argument("--save", metavar="MODEL.h5", help="predict, then save the model")
    args = parser.parse_args()
    inputs = keras.Input((12,), name="pixels")
    hidden = keras.layers.Dense(6, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(2, activation="softmax", name="probs")(hidden)
    model = keras.Model(inputs, outputs, name="tfjs_model")
    if args.save:
        rng = np.random.default_rng(12)
        model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.weights])
        pixels = rng.normal(0, 1, (4, 12)).astype("float32")
        emit("probs", model.predict(pixels, verbose=0))
        model.save(args.save)
        np.save(Path(args.save).parent / "inputs.npy", pixels)
        return
    if not args.out_dir:
        parser.error("give OUT_DIR, or --save MODEL.h5")
    text = model.to_json()
    with open(os.path.join(args.out_dir, "model.json"), "w") as f:
        f.write(text)
    found = layout(json.loads(text))
    print("layout", found)
    emit("layout", found)


if __name__ == "__main__":
    main()
