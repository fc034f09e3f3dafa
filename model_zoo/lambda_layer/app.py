"""Lambda layers, saved and reloaded with safe_mode=False.

One Lambda reads a module-level constant, the other gets it through ``arguments=``. Keras
stores a Lambda's function as bytecode; a compiled binary's functions carry a stub code
object, so a model saved by the binary can load elsewhere and then fail when called.

    python app.py predict
    python app.py save model.keras --variant constant|arguments
    python app.py load model.keras
"""

import argparse

import keras
import numpy as np

from pytest_nuitka.emit import emit

SCALE = 3.0  # read by the "constant" Lambda at call time


def build_model(variant: str) -> keras.Model:
    inputs = keras.Input((5, 4), name="sequence")
    if variant == "constant":
        tail = keras.layers.Lambda(lambda t: t[:, -3:, :] * SCALE, name="tail")(inputs)
    else:
        tail = keras.layers.Lambda(
            lambda t, scale: t[:, -3:, :] * scale, name="tail", arguments={"scale": SCALE}
        )(inputs)
    flat = keras.layers.Flatten()(tail)
    outputs = keras.layers.Dense(3, activation="softmax", name="probs")(flat)
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(99)
    model.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["predict", "save", "load"])
    parser.add_argument("path", nargs="?")
    parser.add_argument("--variant", choices=["constant", "arguments"], default="constant")
    args = parser.parse_args()
    inputs = np.random.default_rng(5).normal(size=(4, 5, 4)).astype("float32")
    if args.command == "load":
        model = keras.models.load_model(args.path, safe_mode=False)
    else:
        model = build_model(args.variant)
        if args.command == "save":
            model.save(args.path)
    probs = np.asarray(model.predict(inputs, verbose=0))
    print("argmax", probs.argmax(-1).tolist())
    emit("probs", probs)


if __name__ == "__main__":
    main()
