# Four branches concatenated; one BasicConv2d is given kernel_size=2 where its siblings keep
# the size of their input: that branch is the odd one out, and its kernel reaches the layer
# through **kwargs, so the SHP106 sits at the caller's keyword (not at the torch.cat).
# args: --input Net=2,3,16,16 --unsafe-fixes
# torch: Net().eval()(torch.randn(2, 3, 16, 16))
import torch
import torch.nn as nn


class BasicConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.b1 = BasicConv2d(3, 8, kernel_size=2)  # expect: SHP106 "kernel_size=1" "line 31"
        self.b3_1 = BasicConv2d(3, 8, kernel_size=1)
        self.b3_2 = BasicConv2d(8, 12, kernel_size=3, padding=1)
        self.b5 = BasicConv2d(3, 4, kernel_size=5, padding=2)
        self.pool = nn.AvgPool2d(kernel_size=3, stride=1, padding=1)

    def forward(self, x):
        branches = [self.b1(x), self.b3_2(self.b3_1(x)), self.b5(x), self.pool(x)]
        return torch.cat(branches, 1)
