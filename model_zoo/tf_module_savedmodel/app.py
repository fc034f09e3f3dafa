"""A SavedModel for serving, three ways: a tf.Module holding Keras layers saved with
tf.saved_model.save, Keras 3's model.export, and keras.export.ExportArchive.

Keras 3 layers are not tf.Modules: the tf.Module way tracks none of their variables. Python's
tf.saved_model.load still serves the right values; the C++ session path that TF Serving and
``saved_model_cli run`` use may not, so the case also loads with that tool.

    python app.py predict
    python app.py save DIR --way module|export|archive     (also writes inputs.npy beside DIR)
    python app.py load DIR
"""

import argparse
import os

import keras
import numpy as np
import tensorflow as tf

from pytest_nuitka.emit import emit


def layers() -> tuple[keras.layers.Dense, keras.layers.Dense]:
    hidden, out = keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)
    hidden.build((None, 4))
    out.build((None, 8))
    rng = np.random.default_rng(77)
    for layer in (hidden, out):
        layer.set_weights(
            [rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.get_weights()]
        )
    return hidden, out


class Scorer(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden, self.out = layers()

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    def __call__(self, x):
        return {"probs": tf.nn.softmax(self.out(self.hidden(x)))}


def keras_model() -> keras.Model:
    hidden, out = layers()
    inputs = keras.Input((4,), name="x")
    return keras.Model(inputs, keras.layers.Softmax()(out(hidden(inputs))))


def save(path: str, way: str) -> np.ndarray:
    inputs = sample_inputs()
    if way == "module":
        module = Scorer()
        emit("tracked_variables", len(module.trainable_variables))
        probs = module(inputs)["probs"].numpy()
        tf.saved_model.save(module, path, signatures={"serving_default": module.__call__})
    elif way == "export":
        model = keras_model()
        probs = np.asarray(model.predict(inputs, verbose=0))
        model.export(path)
    else:
        model = keras_model()
        probs = np.asarray(model.predict(inputs, verbose=0))
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint(
            "serving_default",
            lambda x: {"probs": model(x)},
            input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")],
        )
        archive.write_out(path)
    np.save(os.path.join(os.path.dirname(os.path.abspath(path)), "inputs.npy"), inputs)
    return probs


def load(path: str) -> np.ndarray:
    serve = tf.saved_model.load(path).signatures["serving_default"]
    result = serve(x=tf.constant(sample_inputs()))
    return next(iter(result.values())).numpy()


def sample_inputs() -> np.ndarray:
    return np.random.default_rng(8).normal(size=(5, 4)).astype("float32")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["predict", "save", "load"])
    parser.add_argument("path", nargs="?")
    parser.add_argument("--way", choices=["module", "export", "archive"], default="module")
    args = parser.parse_args()
    if args.command == "predict":
        module = Scorer()
        emit("tracked_variables", len(module.trainable_variables))
        probs = module(sample_inputs())["probs"].numpy()
    elif args.command == "save":
        probs = save(args.path, args.way)
    else:
        probs = load(args.path)
    print("argmax", probs.argmax(-1).tolist())
    emit("probs", probs)


if __name__ == "__main__":
    main()
