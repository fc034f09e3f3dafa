"""A compiled function that raises inside a Keras layer. Keras's traceback filter cuts its own
frames out of the error; on the binary's compiled frames that fails (SystemError: bad argument
to internal function) and the app's error is lost. ``--unfiltered`` is the remedy: filtering
off in the app, as Keras and TensorFlow document.

    python app.py [--unfiltered]
"""

import sys

import keras
import numpy as np


def check(t):
    raise ValueError("negative inputs are not allowed")


def main() -> None:
    if "--unfiltered" in sys.argv:
        import tensorflow as tf

        tf.debugging.disable_traceback_filtering()  # TensorFlow's filter (tf.function)
        if hasattr(keras, "config") and hasattr(keras.config, "disable_traceback_filtering"):
            keras.config.disable_traceback_filtering()  # Keras 3's own
    inputs = keras.Input((5, 4))
    state = {"checking": False}

    def guard(t):
        if state["checking"]:
            check(t)
        return t * 2.0

    model = keras.Model(inputs, keras.layers.Lambda(guard, output_shape=(5, 4))(inputs))
    state["checking"] = True
    model.predict(np.zeros((2, 5, 4), "float32"), verbose=0)


if __name__ == "__main__":
    main()
