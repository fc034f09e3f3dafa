"""Behaves differently once compiled: the plugin must catch it."""

import numpy as np

from pytest_nuitka.emit import emit

compiled = "__compiled__" in globals()
print("compiled:", compiled)
logits = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]], dtype=np.float32)
if compiled:
    logits[1] = [0.1, 0.2, 0.7]
emit("logits", logits)
