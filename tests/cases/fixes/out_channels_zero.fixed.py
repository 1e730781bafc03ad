# `out_channels=0`: the fix is the count the next layer takes.
# args: --input B=1,3,32,32 --output B=1,8,32,32 --unsafe-fixes
# torch: B()(torch.randn(1, 3, 32, 32))
import torch
from torch import nn


class B(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x):
        return self.conv2(self.conv(x))
