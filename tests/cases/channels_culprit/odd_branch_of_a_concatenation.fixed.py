# Four branches concatenated (8 + 8 + 12 + 3): the last branch's count, passed by the caller as
# `pool_features=3` where 4 are needed, is the one that is not round, so of the four producers
# the caller's argument is the fix (unsafe: which branch slipped is a guess).
# args: --input Net=2,16,8,8 --unsafe-fixes
# torch: Net().eval()(torch.randn(2, 16, 8, 8))
import torch
import torch.nn as nn


class Mixed(nn.Module):
    def __init__(self, in_channels, pool_features):
        super().__init__()
        self.a = nn.Conv2d(in_channels, 8, 1)
        self.b = nn.Conv2d(in_channels, 8, 3, padding=1)
        self.c = nn.Conv2d(in_channels, 12, 5, padding=2)
        self.pool = nn.AvgPool2d(3, stride=1, padding=1)
        self.d = nn.Conv2d(in_channels, pool_features, 1)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x), self.c(x), self.d(self.pool(x))], 1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.mixed = Mixed(16, pool_features=4)
        self.head = nn.Conv2d(32, 10, 1)

    def forward(self, x):
        return self.head(self.mixed(x))
