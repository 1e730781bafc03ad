# Pragmas on a layer and on a statement: 32 -> 15 misses the layer's declared 16 (and 15 pools
# to the statement's declared 7). Once the layer is fixed, 16 pools to 8: the statement's
# declaration is what remains (see the .fixed.py file).
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

# shapelint: input=(1, 3, 32, 32)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 8, 3, stride=2)  # shapelint: output=(1, 8, 16, 16)  # expect: SHP101
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        x = self.down(x)
        x = self.pool(x)  # shapelint: output=(1, 8, 7, 7)
        return x
