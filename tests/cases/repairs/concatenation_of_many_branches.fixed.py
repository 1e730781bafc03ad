# torch.cat of four branches where one has a size the other three do not: that branch is the
# odd one out, and its fix makes it take the size the others share.
# args: --unsafe-fixes
# torch: Net()(torch.randn(2, 8, 16, 16))
import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(2, 8, 16, 16) output=(2, 32, 16, 16)
    def __init__(self):
        super().__init__()
        self.b1 = nn.Conv2d(8, 8, 1)
        self.b3 = nn.Conv2d(8, 8, 3, padding=1)
        self.b5 = nn.Conv2d(8, 8, 5, padding=2)
        self.pool = nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1), nn.Conv2d(8, 8, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.pool(x)], 1)
