"""Build a model through tensorflow.keras and say which Keras made it: an app that does not
import pytest_nuitka.emit, as most do not."""

from tensorflow.keras import layers, models

model = models.Sequential([layers.Input((4,)), layers.Dense(2)])
print("model class from", type(model).__module__.split(".")[0])
