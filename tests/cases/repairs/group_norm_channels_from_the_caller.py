# A GroupNorm whose num_channels (a block's parameter) is not divisible by num_groups: the fix is
# the caller's count that the rest of the model uses (31 -> 32, which the next block expects),
# not a num_groups that divides 31.
# args: --unsafe-fixes
# torch: Net()(torch.randn(2, 3, 16, 16))
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 1, bias=False)
        self.norm = nn.GroupNorm(num_groups=4, num_channels=out_ch)

    def forward(self, x):
        return torch.relu(self.norm(self.conv(x)))


class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16) output=(2, 32, 16, 16)
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(Block(3, 31), Block(32, 32))  # expect: SHP103 "not divisible by num_groups=4"

    def forward(self, x):
        return self.blocks(x)
