"""Traces a tiny torch module and saves it with torch.jit.save into the run's {out} folder.
``--differ`` makes the binary save other weights (a real difference the plugin must see)."""

import sys

import torch


class Net(torch.nn.Module):
    def __init__(self, bias: float) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)
        with torch.no_grad():
            self.linear.weight.copy_(torch.arange(6, dtype=torch.float32).reshape(2, 3) / 10)
            self.linear.bias.fill_(bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.linear(x)) * 2


if __name__ == "__main__":
    out = sys.argv[1]
    bias = 0.5 if "--differ" in sys.argv and "__compiled__" in globals() else 0.25
    traced = torch.jit.trace(Net(bias), torch.ones(1, 3))
    torch.jit.save(traced, f"{out}/model.pt")
    print(traced(torch.ones(1, 3)).tolist())
