# `in_channels=0`: the fix is the count that arrives (2), not a count other layers use.
# args: --unsafe-fixes
# torch: Net()(torch.randn(1, 2, 8, 8))
import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(1, 2, 8, 8) output=(1, 16, 8, 8)
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)

    def forward(self, x):
        return self.conv2(self.conv1(x))
