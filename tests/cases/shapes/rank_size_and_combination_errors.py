# A kernel larger than the input (SHP105), a layer of the wrong rank (SHP104), and tensors
# combined with incompatible shapes by `+` and by torch.cat (SHP106: one fix of `self.a` repairs
# both, so one diagnostic where that fix goes names both statements).
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

# shapelint: input=(1, 3, 8, 8)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.big = nn.Conv2d(3, 3, kernel_size=9)  # expect: SHP105
        self.conv1d = nn.Conv1d(3, 3, 3)  # expect: SHP104
        self.a = nn.Conv2d(3, 4, 3)  # expect: SHP106 "in the statement at line 21" "also at line 22: torch.cat"
        self.b = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        y = self.big(x)
        z = self.conv1d(x)
        s = self.a(x) + self.b(x)
        return torch.cat([self.a(x), self.b(x)], dim=1)
