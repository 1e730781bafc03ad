# Shape-dependent branches in forward: neither branch is reported on.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

# shapelint: input=(2, 3, 8, 8)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.other = nn.Conv2d(5, 4, 3)

    def forward(self, x, flag=False):
        if flag:
            return self.other(x)
        if x.dim() == 3:
            x = x.unsqueeze(0)
        return self.conv(x)
