# A BatchNorm2d counting 16 channels where 8 arrive: SHP102 on its line, at the argument to change.
# args: --input Net=1,3,32,32
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(16)  # expect: SHP102:34 "num_features=16" "8 arrive"

    def forward(self, x):
        return self.bn(self.conv(x))
