"""Trace a small module with torch.jit.trace and say what came back: an app that does not
import pytest_nuitka.emit, as most do not."""

import torch


class Scorer(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).softmax(-1)


torch.manual_seed(0)
inputs = torch.ones(2, 3)
traced = torch.jit.trace(Scorer().eval(), inputs)
print("module:", type(traced).__name__)
print("script module:", isinstance(traced, torch.jit.ScriptModule))
