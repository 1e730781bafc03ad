# A pooling whose kernel empties the size: the fix is the one that gives the declared output.
# args: --input C=1,8,8,8 --output C=1,8,2,2 --unsafe-fixes
# torch: C()(torch.randn(1, 8, 8, 8))
import torch
from torch import nn


class C(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.MaxPool2d(2, 2)
        self.pool2 = nn.MaxPool2d(5, 2, padding=2)

    def forward(self, x):
        return self.pool2(self.pool(x))
