"""Classify seeded inputs with a small Keras MLP whose weights come from numpy."""

import argparse

import keras
import numpy as np

from pytest_nuitka.emit import emit


def build_model() -> keras.Model:
    rng = np.random.default_rng(7)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=5)
    args = parser.parse_args()
    inputs = np.random.default_rng(0).normal(size=(args.batch, 4)).astype("float32")
    probs = build_model().predict(inputs, verbose=1)
    print("keras", keras.__version__, "backend", keras.backend.backend())
    print("argmax", probs.argmax(-1).tolist())
    emit("probs", probs)


if __name__ == "__main__":
    main()
