# A pragma on a `return` statement declares the model's output; the fix makes it hold (the
# diagnostic sits on the layer the fix edits).
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

# shapelint: input=(1, 3, 10, 10)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)  # expect: SHP101

    def forward(self, x):
        return self.conv(x)  # shapelint: output=(1, 8, 10, 10)
