# `--input net=...` names the module-level variable holding the model.
# args: --input net=1,4,8,8
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)  # expect: SHP102

    def forward(self, x):
        return self.conv(x)

net = Net()
