# An up-sampling block halves its channels with `in_channels // 1` (meant `// 2`) before a skip
# is concatenated: 64 + 32 channels arrive where the block's convolution expects 64. No single
# layer made the 96, but of the concatenated operands only the up-sampling can give the 32 that
# are missing; the fix goes there, keeping the expression (unsafe: the concatenation is a guess).
# args: --input Net=1,3,16,16 --unsafe-fixes
# torch: Net().eval()(torch.randn(1, 3, 16, 16))
import torch
import torch.nn as nn


class Up(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 1, kernel_size=2, stride=2)  # expect: SHP102 "up.up (ConvTranspose2d) with out_channels=32"
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(x)], dim=1))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inc = nn.Conv2d(3, 32, 3, padding=1)
        self.down = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1))
        self.up = Up(64, 32)

    def forward(self, x):
        x1 = self.inc(x)
        return self.up(self.down(x1), x1)
