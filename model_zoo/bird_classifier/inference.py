"""Classify a bird photo with a ConvNeXt fine-tuned on 25 species, as such repositories ship it.

The model code is the app's own module (modules.py); the checkpoint (a state_dict) and the
label map are data files beside the app. The image is read with OpenCV and preprocessed with
albumentations; the prediction is drawn with matplotlib, the image titled with the class.

    python inference.py --image_path bird.jpg [--device cpu] [--out DIR]
    python inference.py --image_path bird.jpg --save model.pt     (the state_dict after predicting)
    python inference.py --image_path bird.jpg --load model.pt     (predict with a saved state_dict)
    python inference.py --write-data   (re-creates checkpoint/, idx2cls.json, bird.jpg from seeds)
"""

import argparse
import json
import os
from pathlib import Path

# albumentations asks PyPI for a newer version at every import, unless told not to: a shipped
# program must not phone home (and the test machines have no network).
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import albumentations as A
import cv2
import matplotlib
import numpy as np
import torch
from albumentations.pytorch import ToTensorV2

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from modules import ConvNext

from pytest_nuitka.emit import emit

HERE = Path(__file__).resolve().parent
CHECKPOINT = HERE / "checkpoint" / "convnext_birds.pt"
LABELS = HERE / "idx2cls.json"
SIZE = 64
NUM_CLASSES = 25
BIRDS = [
    "American Goldfinch", "Barn Owl", "Barn Swallow", "Blue Jay", "Common Kingfisher",
    "Eurasian Magpie", "European Robin", "Grey Heron", "Great Tit", "House Sparrow",
    "Mallard", "Mute Swan", "Northern Cardinal", "Osprey", "Peregrine Falcon",
    "Red Kite", "Snowy Owl", "Song Thrush", "White Stork", "Common Blackbird",
    "Atlantic Puffin", "Common Starling", "Eurasian Wren", "Greater Flamingo", "Bald Eagle",
]  # fmt: skip

transform = A.Compose(
    [
        A.Resize(SIZE, SIZE),
        A.Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),
        ToTensorV2(),
    ]
)


def load_image(path: str) -> np.ndarray:
    image = cv2.imread(path)
    if image is None:
        raise SystemExit(f"cannot read the image {path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def plot(image: np.ndarray, title: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.imshow(image)
    ax.set_title(title, fontsize=8)
    ax.axis("off")
    # No "Software" chunk (matplotlib's version): the same figure gives the same file.
    fig.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(fig)


def write_data() -> None:
    """Weights from numpy, not torch's initialiser, so that every torch version agrees:
    LayerNorm weights about 1, biases about 0, layer scales about 0.5, conv and linear
    weights N(0, 1/fan_in), in state_dict order."""
    rng = np.random.default_rng(2024)
    state = {}
    for name, tensor in ConvNext(NUM_CLASSES, False).state_dict().items():
        shape = tuple(tensor.shape)
        if name.endswith("gamma"):
            value = rng.normal(0.5, 0.1, shape)
        elif name.endswith("bias"):
            value = rng.normal(0, 0.05, shape)
        elif len(shape) == 1:
            value = rng.normal(1, 0.1, shape)
        else:
            value = rng.normal(0, 1 / np.sqrt(np.prod(shape[1:])), shape)
        state[name] = torch.from_numpy(value.astype(np.float32))
    CHECKPOINT.parent.mkdir(exist_ok=True)
    torch.save(state, CHECKPOINT)
    LABELS.write_text(json.dumps(dict(enumerate(BIRDS)), indent=1) + "\n")
    # A bird on a branch against the sky, drawn in BGR, with sensor noise.
    y = np.arange(96, dtype=np.float64)[:, None, None]
    sky = np.broadcast_to(
        [235 - y[..., 0] * 0.5, 200 - y[..., 0] * 0.3, 150 + y[..., 0] * 0.2], (3, 96, 96)
    )
    image = np.ascontiguousarray(np.moveaxis(sky, 0, -1)).astype(np.uint8)
    cv2.line(image, (0, 78), (95, 70), (40, 70, 100), 4)
    cv2.ellipse(image, (46, 56), (22, 14), -20, 0, 360, (60, 90, 170), -1)
    cv2.ellipse(image, (40, 60), (14, 7), -10, 0, 360, (230, 230, 240), -1)
    cv2.circle(image, (66, 38), 10, (50, 70, 150), -1)
    cv2.circle(image, (69, 35), 2, (10, 10, 10), -1)
    cv2.fillPoly(image, [np.array([[75, 36], [88, 39], [75, 42]], np.int32)], (20, 160, 230))
    cv2.fillPoly(image, [np.array([[26, 58], [6, 48], [8, 64]], np.int32)], (50, 60, 120))
    noisy = image.astype(np.int16) + rng.integers(-12, 13, image.shape)
    cv2.imwrite(
        str(HERE / "bird.jpg"), noisy.clip(0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image_path", help="the image to classify")
    parser.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    parser.add_argument("--out", metavar="DIR", help="save the prediction figure here")
    parser.add_argument("--save", metavar="PATH", help="save the state_dict after predicting")
    parser.add_argument("--load", metavar="PATH", help="predict with a saved state_dict instead")
    parser.add_argument("--write-data", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_data:
        write_data()
        return
    if not args.image_path:
        parser.error("--image_path is required")
    device = torch.device(args.device)
    idx2cls = json.loads(LABELS.read_text())

    model = ConvNext(NUM_CLASSES, False)
    model.load_state_dict(
        torch.load(args.load or CHECKPOINT, map_location=device, weights_only=True)
    )
    model.to(device).eval()

    image = load_image(args.image_path)
    batch = transform(image=image)["image"].unsqueeze(0).to(device)
    with torch.no_grad():
        logits = model(batch).cpu()
    probs = logits.softmax(-1)
    index = int(logits.argmax(-1))
    label = idx2cls[str(index)]
    print("label", label, "index", index)
    print(f"confidence {float(probs[0, index]):.4f}")
    emit("logits", logits)
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        plot(image, f"{label} ({float(probs[0, index]):.1%})", Path(args.out) / "prediction.png")
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
