"""Saves a whole torch model with torch.save and loads it back with torch.load's defaults,
which since torch 2.6 refuse pickled classes (weights_only=True)."""

import sys

import torch


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 2)


if __name__ == "__main__":
    torch.save(Net(), sys.argv[1])
    torch.load(sys.argv[1])
    print("loaded")
