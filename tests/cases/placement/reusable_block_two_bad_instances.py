# Two instances of a block pass the same wrong count: one diagnostic for each, on its own
# caller's argument; the instance built right gets nothing.
# torch: Net().eval()(torch.randn(1, 3, 32, 32))
import torch
from torch import nn


class Up(nn.Module):
    def __init__(self, in_size, out_size):
        super().__init__()
        self.conv = nn.ConvTranspose2d(in_size, out_size, 4, 2, 1)

    def forward(self, x):
        return self.conv(x)


# shapelint: input=(1, 3, 32, 32)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 64, 4, 2, 1)
        self.up1 = Up(64, 32)
        self.up2 = Up(64, 32)  # expect: SHP102:23 "in `up2.conv` (`Up`, line 11)"
        self.up3 = Up(64, 32)  # expect: SHP102:23 "in `up3.conv` (`Up`, line 11)"

    def forward(self, x):
        return self.up3(self.up2(self.up1(self.down(x))))
