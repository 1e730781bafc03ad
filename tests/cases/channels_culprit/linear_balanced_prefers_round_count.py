# Linear(32, 63) then Linear(64, 10): nothing else in the model says which side is right. The
# edit goes back to the rounder count (63 -> 64) and is unsafe: the culprit is a guess.
# args: --input Net=2,32 --unsafe-fixes
# torch: Net().eval()(torch.randn(2, 32))
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Sequential(
            nn.Linear(32, 63),  # expect: SHP102 "out_features=64"
            nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.head(x)
