# A block that hands **kwargs to its Conv2d (Inception's BasicConv2d): a kernel_size written 0
# at the caller is fixed at the caller's keyword, not in the block.
# args: --unsafe-fixes
# torch: Net()(torch.randn(2, 3, 16, 16))
import torch
import torch.nn as nn


class BasicConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16) output=(2, 8, 16, 16)
    def __init__(self):
        super().__init__()
        self.stem = BasicConv2d(3, 16, kernel_size=3, padding=1)
        self.reduce = BasicConv2d(16, 8, kernel_size=0)  # expect: SHP103 "kernel_size must be positive"

    def forward(self, x):
        return self.reduce(self.stem(x))
