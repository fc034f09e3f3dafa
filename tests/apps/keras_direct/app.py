"""The tf_keras_import app with the remedy for Nuitka's tensorflow.keras rewrite applied:
Keras imported directly, as Keras 2 and Keras 3 both allow."""

import numpy as np
from keras.layers import Dense, Input
from keras.models import Sequential

from pytest_nuitka.emit import emit

if __name__ == "__main__":
    model = Sequential([Input((6,)), Dense(10, activation="tanh"), Dense(3, activation="softmax")])
    rng = np.random.default_rng(2024)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    probs = np.asarray(model.predict(np.random.default_rng(3).normal(size=(5, 6)), verbose=0))
    print("model class from", type(model).__module__)
    emit("probs", probs)
