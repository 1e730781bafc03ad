# A condition that cannot be decided builds either layer: never report on it.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

import config
# shapelint: input=(1, 3, 8, 8)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        if config.BIG:
            self.conv = nn.Conv2d(3, 64, 3)
        else:
            self.conv = nn.Conv2d(3, 32, 3)
        self.bn = nn.BatchNorm2d(64)

    def forward(self, x):
        return self.bn(self.conv(x))
