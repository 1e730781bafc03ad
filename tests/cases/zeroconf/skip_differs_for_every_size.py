# No declaration: the model runs on [b, 3, h, w]. The down path gives (h - 1)//2 rows and the
# transposed convolution twice that, h - 1 or h - 2: the skip connection differs for every h,
# a certain error with no size declared (SHP106, at the layer its fix changes).
# torch: Net().eval()(torch.randn(1, 3, 32, 32))
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inc = nn.Conv2d(3, 8, 3, padding=1)
        self.down = nn.Conv2d(8, 8, 3, stride=2)  # expect: SHP106 "for every size"
        self.up = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.out = nn.Conv2d(16, 2, 1)

    def forward(self, x):
        x = self.inc(x)
        return self.out(torch.cat([x, self.up(self.down(x))], dim=1))
