"""A Keras functional classifier: predicts, saves and reloads in every Keras format.

Weights come from a seeded numpy generator, so every TensorFlow/Keras version starts from
the same model and predictions can be compared across versions.

    python app.py predict
    python app.py save model.keras      (also .h5, .weights.h5, or a folder with --export)
    python app.py save model.onnx --onnx (Keras 3's ONNX export; inputs.npy beside it)
    python app.py load model.keras
"""

import argparse
import os

import keras
import numpy as np

from pytest_nuitka.emit import emit

CLASSES = ["cat", "dog", "bird", "fish"]


def build_model() -> keras.Model:
    inputs = keras.Input((8,), name="features")
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(len(CLASSES), activation="softmax", name="probs")(hidden)
    model = keras.Model(inputs, outputs, name="classifier")
    rng = np.random.default_rng(1234)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    return model


def sample_inputs() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(6, 8)).astype("float32")


def report(probs: np.ndarray) -> None:
    labels = [CLASSES[i] for i in probs.argmax(-1)]
    print("keras", keras.__version__, "backend", keras.backend.backend())
    print("labels", labels)
    emit("probs", probs)


def predict_with(model, inputs: np.ndarray) -> np.ndarray:
    if hasattr(model, "predict"):
        return np.asarray(model.predict(inputs, verbose=0))
    return np.asarray(model(inputs))  # an exported SavedModel endpoint


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["predict", "save", "load"])
    parser.add_argument("path", nargs="?", help="model file or folder to save to / load from")
    parser.add_argument(
        "--export",
        action="store_true",
        help="SavedModel through model.export, reloaded with TFSMLayer (Keras 3) or "
        "tf.saved_model.load (Keras 2)",
    )
    parser.add_argument(
        "--onnx", action="store_true", help="model.export(format='onnx'), for ONNX Runtime"
    )
    args = parser.parse_args()
    inputs = sample_inputs()
    if args.command == "predict":
        report(predict_with(build_model(), inputs))
    elif args.command == "save":
        model = build_model()
        report(predict_with(model, inputs))
        if args.export:
            model.export(args.path)
        elif args.onnx:
            model.export(args.path, format="onnx")
            np.save(os.path.join(os.path.dirname(args.path), "inputs.npy"), inputs)
        elif args.path.endswith(".weights.h5"):
            model.save_weights(args.path)
        else:
            model.save(args.path)
        print("saved", os.path.basename(args.path))
    else:
        if args.export and hasattr(keras.layers, "TFSMLayer"):
            model = keras.layers.TFSMLayer(args.path, call_endpoint="serve")
        elif args.export:  # Keras 2 has no TFSMLayer
            import tensorflow as tf

            loaded = tf.saved_model.load(args.path)  # keep it: serve uses its variables
            model = loaded.serve
        elif args.path.endswith(".weights.h5"):
            model = build_model()
            model.set_weights([np.zeros_like(w) for w in model.get_weights()])
            model.load_weights(args.path)
        else:
            model = keras.models.load_model(args.path)
        report(predict_with(model, inputs))


if __name__ == "__main__":
    main()
