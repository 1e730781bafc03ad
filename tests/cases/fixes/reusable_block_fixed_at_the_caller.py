# The wrong count is the caller's argument of a reusable block: `UNetUp(64, 32)` where 128
# channels arrive. The fix edits the caller, never a literal written into the class.
# args: --input U=1,256,8,8 --output U=1,64,32,32 --unsafe-fixes
# torch: U()(torch.randn(1, 256, 8, 8))
import torch
from torch import nn


class UNetUp(nn.Module):
    def __init__(self, in_size, out_size):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_size, out_size, 4, 2, 1)

    def forward(self, x, skip):
        return torch.cat((self.up(x), skip), 1)


class U(nn.Module):
    def __init__(self):
        super().__init__()
        self.up1 = UNetUp(256, 64)
        self.up2 = UNetUp(64, 32)  # expect: SHP102
        self.skip1 = nn.Conv2d(256, 64, 1)
        self.skip2 = nn.Conv2d(256, 32, 1)

    def forward(self, x):
        s1 = nn.functional.interpolate(self.skip1(x), scale_factor=2.0)
        s2 = nn.functional.interpolate(self.skip2(x), scale_factor=4.0)
        return self.up2(self.up1(x, s1), s2)
