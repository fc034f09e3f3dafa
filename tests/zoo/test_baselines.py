"""The committed zoo baselines, recomputed in plain numpy from the apps' seeds and layer
shapes, without any framework: a baseline is only as good as this independent check."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT

ZOO = ROOT / "model_zoo"


def baseline(case: str, run: str, name: str) -> np.ndarray:
    with np.load(ZOO / case / "baselines" / f"{run}.npz") as stored:
        array: np.ndarray = stored[name]  # numpy types an archive's members as Any
        return array


def weights(seed: int, scale: float, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(0, scale, s).astype(np.float32) for s in shapes]


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(-1, keepdims=True))
    probs: np.ndarray = e / e.sum(-1, keepdims=True)  # numpy types ufunc results as Any
    return probs


def relu(x: np.ndarray) -> np.ndarray:
    positive: np.ndarray = np.maximum(x, 0)
    return positive


def test_keras_classifier() -> None:
    w1, b1, w2, b2 = weights(1234, 0.5, [(8, 16), (16,), (16, 4), (4,)])
    x = np.random.default_rng(0).normal(size=(6, 8)).astype(np.float32)
    expected = softmax(relu(x @ w1 + b1) @ w2 + b2)
    np.testing.assert_allclose(
        baseline("keras_classifier", "predict", "probs"), expected, atol=1e-6
    )


def test_tf_keras_import() -> None:
    w1, b1, w2, b2 = weights(2024, 0.5, [(6, 10), (10,), (10, 3), (3,)])
    x = np.random.default_rng(3).normal(size=(5, 6)).astype(np.float32)
    expected = softmax(np.tanh(x @ w1 + b1) @ w2 + b2)
    np.testing.assert_allclose(baseline("tf_keras_import", "predict", "probs"), expected, atol=1e-6)


def test_lambda_layer() -> None:
    w, b = weights(99, 0.3, [(12, 3), (3,)])
    x = np.random.default_rng(5).normal(size=(4, 5, 4)).astype(np.float32)
    expected = softmax((x[:, -3:, :] * 3.0).reshape(4, 12) @ w + b)
    np.testing.assert_allclose(baseline("lambda_layer", "predict", "probs"), expected, atol=1e-6)


def test_tf_module_savedmodel() -> None:
    w1, b1, w2, b2 = weights(77, 0.5, [(4, 8), (8,), (8, 3), (3,)])
    x = np.random.default_rng(8).normal(size=(5, 4)).astype(np.float32)
    expected = softmax(relu(x @ w1 + b1) @ w2 + b2)
    np.testing.assert_allclose(
        baseline("tf_module_savedmodel", "predict", "probs"), expected, atol=1e-6
    )


def test_torch_image_classifier() -> None:
    image_module = pytest.importorskip("PIL.Image")
    case = ZOO / "torch_image_classifier"
    rng = np.random.default_rng(31)
    conv_w = rng.normal(0, 0.2, (8, 3, 3, 3)).astype(np.float32)
    conv_b = rng.normal(0, 0.2, (8,)).astype(np.float32)
    head_w = rng.normal(0, 0.2, (5, 128)).astype(np.float32)
    head_b = rng.normal(0, 0.2, (5,)).astype(np.float32)
    image = (
        image_module.open(case / "bird.png").convert("RGB").resize((32, 32), image_module.BILINEAR)
    )
    mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
    std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
    x = ((np.asarray(image, np.float32) / 255.0 - mean) / std).transpose(2, 0, 1)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    patches = np.stack([padded[:, i : i + 32, j : j + 32] for i in range(3) for j in range(3)], -1)
    conv = np.einsum("chwk,ock->ohw", patches, conv_w.reshape(8, 3, 9)) + conv_b[:, None, None]
    pooled = relu(conv).reshape(8, 4, 8, 4, 8).mean(axis=(2, 4))
    expected = pooled.reshape(1, 128) @ head_w.T + head_b
    np.testing.assert_allclose(
        baseline("torch_image_classifier", "classify", "logits"), expected, atol=1e-4
    )
    labels = json.loads((case / "idx2cls.json").read_text())
    assert labels[str(int(expected.argmax()))] == "heron"


def test_torch_jit_trace() -> None:
    """The app copies rng.normal(0, 0.5, shape) into each parameter in order (hidden weight
    (8, 6), hidden bias, out weight (3, 8), out bias), then draws the (4, 6) inputs."""
    rng = np.random.default_rng(7)
    w1, b1, w2, b2 = (
        rng.normal(0, 0.5, s).astype(np.float32) for s in [(8, 6), (8,), (3, 8), (3,)]
    )
    x = rng.normal(0, 1, (4, 6)).astype(np.float32)
    expected = np.tanh(x @ w1.T + b1) @ w2.T + b2
    np.testing.assert_allclose(baseline("torch_jit_trace", "trace", "scores"), expected, atol=1e-5)


def test_bird_classifier() -> None:
    """modules.ConvNext(25) as the app writes its checkpoint (inference.py's write_data):
    state_dict order (a module's own parameters before its children's), LayerNorm weights
    N(1, 0.1), biases N(0, 0.05), layer scales N(0.5, 0.1), conv/linear weights
    N(0, 1/fan_in); the image read and resized by OpenCV, as albumentations does."""
    cv2 = pytest.importorskip("cv2")
    case = ZOO / "bird_classifier"
    dims, depths = (16, 32, 64), (1, 1, 2)
    shapes: list[tuple[str, tuple[int, ...]]] = [
        ("downsample_layers.0.0.weight", (16, 3, 4, 4)),
        ("downsample_layers.0.0.bias", (16,)),
        ("downsample_layers.0.1.weight", (16,)),
        ("downsample_layers.0.1.bias", (16,)),
    ]
    for i in (1, 2):
        shapes += [
            (f"downsample_layers.{i}.0.weight", (dims[i - 1],)),
            (f"downsample_layers.{i}.0.bias", (dims[i - 1],)),
            (f"downsample_layers.{i}.1.weight", (dims[i], dims[i - 1], 2, 2)),
            (f"downsample_layers.{i}.1.bias", (dims[i],)),
        ]
    for i, (dim, depth) in enumerate(zip(dims, depths, strict=True)):
        for j in range(depth):
            shapes += [
                (f"stages.{i}.{j}.{name}", shape)
                for name, shape in [
                    ("gamma", (dim,)),
                    ("dwconv.weight", (dim, 1, 7, 7)),
                    ("dwconv.bias", (dim,)),
                    ("norm.weight", (dim,)),
                    ("norm.bias", (dim,)),
                    ("pwconv1.weight", (4 * dim, dim)),
                    ("pwconv1.bias", (4 * dim,)),
                    ("pwconv2.weight", (dim, 4 * dim)),
                    ("pwconv2.bias", (dim,)),
                ]
            ]
    shapes += [("norm.weight", (64,)), ("norm.bias", (64,))]
    shapes += [("head.weight", (25, 64)), ("head.bias", (25,))]
    rng = np.random.default_rng(2024)
    p: dict[str, np.ndarray] = {}
    for name, shape in shapes:
        if name.endswith("gamma"):
            value = rng.normal(0.5, 0.1, shape)
        elif name.endswith("bias"):
            value = rng.normal(0, 0.05, shape)
        elif len(shape) == 1:
            value = rng.normal(1, 0.1, shape)
        else:
            value = rng.normal(0, 1 / np.sqrt(np.prod(shape[1:])), shape)
        p[name] = value.astype(np.float32)

    def layer_norm(x: np.ndarray, prefix: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        normed: np.ndarray = (x - mean) / np.sqrt(x.var(-1, keepdims=True) + 1e-6)
        scaled: np.ndarray = normed * p[f"{prefix}.weight"] + p[f"{prefix}.bias"]
        return scaled

    def patchify(x: np.ndarray, prefix: str) -> np.ndarray:
        weight = p[f"{prefix}.weight"]
        k = weight.shape[-1]
        h, w, c = x.shape
        patches = x.reshape(h // k, k, w // k, k, c)
        out: np.ndarray = np.einsum("akblc,ockl->abo", patches, weight) + p[f"{prefix}.bias"]
        return out

    image = cv2.cvtColor(cv2.imread(str(case / "bird.jpg")), cv2.COLOR_BGR2RGB)
    image = cv2.resize(image, (64, 64), interpolation=cv2.INTER_LINEAR)
    mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
    std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
    x = (image.astype(np.float32) / 255.0 - mean) / std  # HWC throughout
    erf = np.vectorize(math.erf)
    for i, depth in enumerate(depths):
        down = f"downsample_layers.{i}"
        if i == 0:
            x = layer_norm(patchify(x, f"{down}.0"), f"{down}.1")
        else:
            x = patchify(layer_norm(x, f"{down}.0"), f"{down}.1")
        for j in range(depth):
            block = f"stages.{i}.{j}"
            h, w, _ = x.shape
            padded = np.pad(x, ((3, 3), (3, 3), (0, 0)))
            dw = p[f"{block}.dwconv.weight"]
            y = sum(
                padded[a : a + h, b : b + w] * dw[:, 0, a, b] for a in range(7) for b in range(7)
            )
            y = layer_norm(y + p[f"{block}.dwconv.bias"], f"{block}.norm")
            y = y @ p[f"{block}.pwconv1.weight"].T + p[f"{block}.pwconv1.bias"]
            y = 0.5 * y * (1 + erf(y / math.sqrt(2)))
            y = y @ p[f"{block}.pwconv2.weight"].T + p[f"{block}.pwconv2.bias"]
            x = x + p[f"{block}.gamma"] * y
    expected = layer_norm(x.mean((0, 1)), "norm") @ p["head.weight"].T + p["head.bias"]
    np.testing.assert_allclose(
        baseline("bird_classifier", "classify", "logits")[0], expected, atol=1e-4
    )
    labels = json.loads((case / "idx2cls.json").read_text())
    assert labels[str(int(expected.argmax()))] == "Greater Flamingo"


def neumaier(values: list[float], start: float = 0.0) -> float:
    """Compensated summation as Python 3.12's sum() does it over floats."""
    total, compensation = start, 0.0
    for x in values:
        t = total + x
        if abs(total) >= abs(x):
            compensation += (total - t) + x
        else:
            compensation += (x - t) + total
        total = t
    return total + compensation


def test_float_sum() -> None:
    """The case's script prints what its Python promises: sum() is the plain loop before
    3.12 and compensated from 3.12 on, so only a binary that drifts from it fails."""
    done = subprocess.run(
        [sys.executable, str(ZOO / "float_sum" / "app.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    printed = {name: float.fromhex(hex_) for name, hex_ in map(str.split, done.stdout.splitlines())}
    rng = random.Random(7)
    xs = [rng.uniform(-1.0, 1.0) * 10.0 ** rng.randint(-8, 8) for _ in range(200_000)]
    loop = 0.0
    for x in xs:
        loop += x
    compensated = sys.version_info >= (3, 12)
    assert printed["loop"] == loop
    assert printed["sum"] == (neumaier(xs) if compensated else loop)
    assert printed["sum_start"] == (neumaier(xs, 0.5) if compensated else sum(xs, 0.5))
    assert printed["fsum"] == math.fsum(xs)
    # The seed makes the ways disagree: from 3.12 on, a sum() that loops differs from Python's.
    assert (printed["sum"] != printed["loop"]) == compensated
    assert printed["numpy_float64"] == float(np.asarray(xs).sum())
