# The value at fault is an expression of the block's parameter (in_size * 2, through a local):
# the diagnostic still sits on the caller's argument, here in a list of blocks.
# torch: Net().eval()(torch.randn(1, 8, 16, 16))
import torch
from torch import nn


class Fuse(nn.Module):
    def __init__(self, in_size, out_size):
        super().__init__()
        channels = in_size * 2
        self.conv = nn.Conv2d(channels, out_size, 3, padding=1)

    def forward(self, x):
        return self.conv(torch.cat([x, x], dim=1))


# shapelint: input=(1, 8, 16, 16)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stages = nn.ModuleList([
            Fuse(8, 8),
            Fuse(4, 8),  # expect: SHP102:18 "in_channels=8" "16 arrive" "in `stages.1.conv` (`Fuse`, line 12)"
        ])

    def forward(self, x):
        for stage in self.stages:
            x = stage(x)
        return x
