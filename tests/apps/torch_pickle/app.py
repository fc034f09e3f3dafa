"""Saves a torch model and loads it back with torch.load's defaults, which since torch 2.6
refuse pickled classes (weights_only=True). ``--state-dict`` is the remedy: save the weights,
load them into a freshly built model.

    python app.py PATH [--state-dict]
"""

import sys

import torch


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 2)


if __name__ == "__main__":
    torch.manual_seed(0)
    if "--state-dict" in sys.argv:
        torch.save(Net().state_dict(), sys.argv[1])
        model = Net()
        model.load_state_dict(torch.load(sys.argv[1]))
    else:
        torch.save(Net(), sys.argv[1])
        model = torch.load(sys.argv[1])
    print("loaded", model.linear.weight.sum().item())
