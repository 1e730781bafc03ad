# Correct for 32x32 inputs, wrong for 64x64: only an input declaration can tell.
# Shared: the end-to-end tests of the command and of the flake8 plugin run on this file.
# args: --input Net=1,3,64,64
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8 * 30 * 30, 10)  # expect: SHP102

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))
