"""The tf_keras_import app with the remedy for the legacy cell applied: ``tf.keras`` reached
through the attribute (``from tensorflow import keras``), which Nuitka does not rewrite, so
TF_USE_LEGACY_KERAS=1 gives tf_keras to the binary as to the script."""

import numpy as np
from tensorflow import keras

from pytest_nuitka.emit import emit

if __name__ == "__main__":
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(10, activation="tanh"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    rng = np.random.default_rng(2024)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    probs = np.asarray(model.predict(np.random.default_rng(3).normal(size=(5, 6)), verbose=0))
    print("model class from", type(model).__module__)
    emit("probs", probs)
