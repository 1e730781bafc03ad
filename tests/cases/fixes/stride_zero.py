# `stride=0`: the fix is the stride that makes the declared output hold.
# args: --input A=1,3,32,32 --output A=1,8,16,16 --unsafe-fixes
# torch: A()(torch.randn(1, 3, 32, 32))
import torch
from torch import nn


class A(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=0, padding=1)  # expect: SHP103 "stride must be positive"

    def forward(self, x):
        return self.conv(x)
