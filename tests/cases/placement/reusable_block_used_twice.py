# pix2pix style: a reusable block whose layer takes its channels from the block's parameters.
# One instance passes the wrong count: the diagnostic sits on that caller's argument and names
# the layer inside the block; the instance built right gets nothing.
# torch: Net().eval()(torch.randn(1, 3, 32, 32))
import torch
from torch import nn


class UNetUp(nn.Module):
    def __init__(self, in_size, out_size):
        super().__init__()
        self.conv = nn.ConvTranspose2d(in_size, out_size, 4, 2, 1, bias=False)
        self.norm = nn.InstanceNorm2d(out_size)

    def forward(self, x):
        return self.norm(self.conv(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 128, 4, 2, 1)
        self.up1 = UNetUp(128, 64)
        self.up2 = UNetUp(128, 3)  # expect: SHP102:27 "in_channels=128" "64 arrive" "in `up2.conv` (`UNetUp`, line 12)"

    def forward(self, x):
        return self.up2(self.up1(self.down(x)))


if __name__ == "__main__":
    Net()(torch.randn(1, 3, 32, 32))
