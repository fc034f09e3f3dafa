"""Trace a small torch model with torch.jit.trace, predict with the traced module, save it.

A traced module is a ScriptModule only while the torch JIT is on. Nuitka's standalone default
sets PYTORCH_JIT=0 before torch loads, and torch.jit.trace then hands back the plain module:
it predicts the same, but reports another type and cannot be saved with torch.jit.save.

    python app.py trace
    python app.py trace --save model.ts
    python app.py load model.ts
"""

import argparse

import numpy as np
import torch

from pytest_nuitka.emit import emit


class Scorer(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = torch.nn.Linear(6, 8)
        self.out = torch.nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.hidden(x)))


def seeded() -> tuple[Scorer, torch.Tensor]:
    """Weights and inputs from numpy, so that every torch version starts alike."""
    rng = np.random.default_rng(7)
    model = Scorer()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(
                torch.from_numpy(rng.normal(0, 0.5, parameter.shape).astype(np.float32))
            )
    return model.eval(), torch.from_numpy(rng.normal(0, 1, (4, 6)).astype(np.float32))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["trace", "load"])
    parser.add_argument("path", nargs="?", help="the traced model to load")
    parser.add_argument("--save", metavar="PATH", help="save the traced module (torch.jit.save)")
    args = parser.parse_args()
    model, inputs = seeded()
    traced = args.action == "trace"
    module = torch.jit.trace(model, inputs) if traced else torch.jit.load(args.path)
    print(
        "module:",
        type(module).__name__,
        "script module:",
        isinstance(module, torch.jit.ScriptModule),
    )
    with torch.no_grad():
        scores = module(inputs)
    if args.save:
        torch.jit.save(module, args.save)
    emit("scores", scores)


if __name__ == "__main__":
    main()
