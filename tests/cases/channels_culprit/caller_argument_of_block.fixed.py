# A block's output count passed by its caller (Block(3, 15)) disagrees with the next block's
# input (16) and its own BatchNorm count: the caller's argument is the culprit, SHP102 there.
# args: --input Net=1,3,16,16 --unsafe-fixes
# torch: Net().eval()(torch.randn(1, 3, 16, 16))
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.conv(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.b1 = Block(3, 16)
        self.norm = nn.BatchNorm2d(16)
        self.b2 = Block(16, 32)

    def forward(self, x):
        return self.b2(self.norm(self.b1(x)))
