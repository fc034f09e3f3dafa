"""Export a Keras 3 model with model.export(), verbosely: Keras prints the endpoints and a
"Captures:" list keyed by each captured tensor's id(), a decimal number that changes from run
to run of the same program."""

import keras
import numpy as np

model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
model.set_weights([np.full(w.shape, 0.1, "float32") for w in model.get_weights()])
model.export("exported", verbose=True)
print("probabilities", np.round(model.predict(np.ones((1, 4)), verbose=0), 4).tolist())
