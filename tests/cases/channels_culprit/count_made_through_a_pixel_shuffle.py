# An up-sampling block makes `in_channels * up_scale ** 1` channels (meant `** 2`) for a
# PixelShuffle(2), which leaves a quarter of them: 8 arrive where the head expects 16. The
# convolution before the shuffle made the count: its expression is the fix.
# args: --input Net=1,16,8,8 --unsafe-fixes
# torch: Net().eval()(torch.randn(1, 16, 8, 8))
import torch
import torch.nn as nn


class UpsampleBlock(nn.Module):
    def __init__(self, in_channels, up_scale):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, in_channels * up_scale ** 1, kernel_size=3, padding=1)  # expect: SHP102 "up.conv (Conv2d) with out_channels=64"
        self.shuffle = nn.PixelShuffle(up_scale)

    def forward(self, x):
        return torch.relu(self.shuffle(self.conv(x)))


class Net(nn.Module):
    def __init__(self, channels=16):
        super().__init__()
        self.up = UpsampleBlock(channels, 2)
        self.head = nn.Conv2d(channels, 3, kernel_size=3, padding=1)

    def forward(self, x):
        return self.head(self.up(x))
