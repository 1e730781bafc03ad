# Layers built in a list comprehension are followed; the BatchNorm2d after them gets a safe fix.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

# shapelint: input=(1, 4, 8, 8)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Conv2d(4, 4, 3, padding=1) for _ in range(3)])
        self.bn = nn.BatchNorm2d(5)  # expect: SHP102

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.bn(x)
