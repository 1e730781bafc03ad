# Modules and functions from elsewhere are unknown, never guessed at.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mylib import make_backbone, Block
# shapelint: input=(1, 3, 8, 8) output=(1, 10)
class Net(nn.Module):
    def __init__(self, width=None):
        super().__init__()
        self.backbone = make_backbone()
        self.block = Block(3)
        self.fc = nn.Linear(512, 10)
        self.conv = nn.Conv2d(width, 8, 3)

    def forward(self, x):
        x = self.block(self.backbone(x))
        return self.fc(x)
