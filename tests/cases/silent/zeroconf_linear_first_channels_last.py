# No declaration: a Linear first. [b, 100] would fail at the permute (4 dims wanted), but a
# Linear takes leading dims too, and [b, h, w, 100] runs: no error is certain, none reported.
# torch: Net().eval()(torch.randn(2, 8, 8, 100))
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(100, 16)
        self.conv = nn.Conv2d(16, 8, 3)

    def forward(self, x):
        return self.conv(self.embed(x).permute(0, 3, 1, 2))
