"""Write a model's JSON for TensorFlow.js and say which layout it is in.

TensorFlow.js reads the Keras 2 layout (``batch_input_shape``, list-shaped ``inbound_nodes``);
Keras 3 writes ``batch_shape`` and dict-shaped ``inbound_nodes``. Script and binary must
write the same JSON; the emitted ``layout`` shows which one this cell produces.

    python app.py OUT_DIR
"""

import argparse
import json
import os

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
    parser.add_argument("out_dir", help="folder that receives model.json")
    args = parser.parse_args()
    inputs = keras.Input((12,), name="pixels")
    hidden = keras.layers.Dense(6, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(2, activation="softmax", name="probs")(hidden)
    text = keras.Model(inputs, outputs, name="tfjs_model").to_json()
    with open(os.path.join(args.out_dir, "model.json"), "w") as f:
        f.write(text)
    found = layout(json.loads(text))
    print("layout", found)
    emit("layout", found)


if __name__ == "__main__":
    main()
