# A pragma on the first line of a multi-line constructor declares that layer's output.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

# shapelint: input=(1, 3, 10, 10)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(  # shapelint: output=(1, 8, 10, 10)  # expect: SHP101
            3, 8, 3,
        )

    def forward(self, x):
        return self.conv(x)
