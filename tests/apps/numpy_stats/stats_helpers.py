import numpy as np


def summarize(sample: np.ndarray) -> dict[str, np.ndarray]:
    return {"mean": sample.mean(axis=0), "std": sample.std(axis=0), "logits": sample[:3]}
