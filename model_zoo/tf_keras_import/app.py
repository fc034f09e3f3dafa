"""The tf.keras way: `from tensorflow.keras.models import Sequential`.

Nuitka rewrites ``tensorflow.keras`` imports to ``keras._tf_keras.keras``, whatever Keras is
installed; the app prints and emits which Keras really built its model, so that a binary that
silently switched from tf_keras (Keras 2) to Keras 3 fails on that name, not only on numbers.

    python app.py predict
    python app.py save model.h5 | load model.h5
"""

import argparse

import numpy as np
from tensorflow.keras.layers import Dense, Input
from tensorflow.keras.models import Sequential, load_model

from pytest_nuitka.emit import emit


def build_model() -> Sequential:
    model = Sequential([Input((6,)), Dense(10, activation="tanh"), Dense(3, activation="softmax")])
    rng = np.random.default_rng(2024)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["predict", "save", "load"])
    parser.add_argument("path", nargs="?")
    args = parser.parse_args()
    inputs = np.random.default_rng(3).normal(size=(5, 6)).astype("float32")
    model = load_model(args.path) if args.command == "load" else build_model()
    if args.command == "save":
        model.save(args.path)
    probs = np.asarray(model.predict(inputs, verbose=0))
    implementation = type(model).__module__.split(".")[0]
    print("model class from", type(model).__module__)
    print("argmax", probs.argmax(-1).tolist())
    emit("keras_implementation", implementation)
    emit("probs", probs)


if __name__ == "__main__":
    main()
