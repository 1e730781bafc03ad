# Channel mismatches: each reported on the argument to change (the fix keeps the call's
# positional or keyword style), and the chain continues after the first one. The fix of conv2
# is unsafe, as conv1's out_channels could as well be the slip.
# args: --unsafe-fixes
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

# shapelint: input=(2, 3, 16, 16)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)  # expect: SHP102:34
        self.conv2 = nn.Conv2d(in_channels=4, out_channels=8, kernel_size=3)  # expect: SHP102

    def forward(self, x):
        return self.conv2(self.bn(self.conv1(x)))
