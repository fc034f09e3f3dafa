"""Classify a bird photo, in the manner of a ConvNeXt/DINOv2 fine-tune, with a tiny CNN.

The checkpoint (a state_dict) and the label map are data files beside the app; the image is
read with PIL and preprocessed with numpy. Prints the label and emits the logits.

    python app.py --image_path bird.png
    python app.py --image_path bird.png --save model.pt --format state_dict|torchscript
    python app.py --image_path bird.png --save model.onnx --format onnx   (+ inputs.npy beside it)
    python app.py --image_path bird.png --load model.pt --format state_dict|torchscript
    python app.py --write-data        (re-creates checkpoint/ and bird.png from fixed seeds)
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from pytest_nuitka.emit import emit

HERE = Path(__file__).resolve().parent
CHECKPOINT = HERE / "checkpoint" / "classifier.pt"
LABELS = HERE / "idx2cls.json"
MEAN, STD = np.float32([0.485, 0.456, 0.406]), np.float32([0.229, 0.224, 0.225])


class TinyClassifier(torch.nn.Module):
    def __init__(self, classes: int = 5) -> None:
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(4)
        )
        self.head = torch.nn.Linear(8 * 4 * 4, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


def preprocess(path: str) -> torch.Tensor:
    image = Image.open(path).convert("RGB").resize((32, 32), Image.BILINEAR)
    array = (np.asarray(image, dtype=np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(array.transpose(2, 0, 1).copy()).unsqueeze(0)


def write_data() -> None:
    """Weights from numpy, not torch's initialiser, so that every torch version agrees."""
    rng = np.random.default_rng(31)
    model = TinyClassifier()
    state = {
        name: torch.from_numpy(rng.normal(0, 0.2, tuple(t.shape)).astype(np.float32))
        for name, t in model.state_dict().items()
    }
    CHECKPOINT.parent.mkdir(exist_ok=True)
    torch.save(state, CHECKPOINT)
    LABELS.write_text(
        json.dumps(
            {
                str(i): name
                for i, name in enumerate(["sparrow", "robin", "heron", "owl", "kingfisher"])
            },
            indent=1,
        )
        + "\n"
    )
    y, x = np.mgrid[0:48, 0:48]
    pixels = np.stack(
        [128 + 100 * np.sin(x / 5), 128 + 100 * np.cos(y / 7), rng.integers(0, 255, (48, 48))], -1
    )
    Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(HERE / "bird.png")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image_path", help="the image to classify")
    parser.add_argument("--save", metavar="PATH", help="save the model after predicting")
    parser.add_argument("--load", metavar="PATH", help="predict with a saved model instead")
    parser.add_argument(
        "--format", choices=["state_dict", "torchscript", "onnx"], default="state_dict"
    )
    parser.add_argument("--write-data", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_data:
        write_data()
        return
    if not args.image_path:
        parser.error("--image_path is required")
    torch.manual_seed(0)
    image = preprocess(args.image_path)
    labels = json.loads(LABELS.read_text())
    if args.load and args.format == "torchscript":
        model = torch.jit.load(args.load)
    else:
        model = TinyClassifier()
        model.load_state_dict(torch.load(args.load or CHECKPOINT, weights_only=True))
    model.eval()
    with torch.no_grad():
        logits = model(image)
    if args.save and args.format == "torchscript":
        torch.jit.trace(model, image).save(args.save)
    elif args.save and args.format == "onnx":
        # torch's default exporter; the inputs go beside the model for the serving side.
        torch.onnx.export(
            model, (image,), args.save, input_names=["image"], output_names=["logits"]
        )
        np.save(Path(args.save).parent / "inputs.npy", image.numpy())
    elif args.save:
        torch.save(model.state_dict(), args.save)
    index = int(logits.argmax(-1))
    print("label", labels[str(index)], "index", index)
    emit("logits", logits)


if __name__ == "__main__":
    main()
