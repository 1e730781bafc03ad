# A padding written `k // 2 + 1` that grows the size: the fix drops the `+ 1` by changing its
# literal to 0, and `k // 2` stays.
# args: --input Net=1,3,32,32 --output Net=1,8,32,32
# torch: Net()(torch.randn(1, 3, 32, 32))
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, k=3):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, k, padding=k // 2 + 1)  # expect: SHP101

    def forward(self, x):
        return self.conv(x)
