# Upsampling blocks whose factor a caller passes: `UpsampleBlock(channels, up_scale)` reads it in
# its convolution's count (`in_channels * up_scale ** 2`) and in its PixelShuffle. The first
# caller passes 1: the output is half the declared size. Moving that one argument back to 2
# changes both layers of the block at once and makes the model hold: the diagnostic goes to the
# caller's argument (unsafe: which block's factor slipped is a guess).
# args: --unsafe-fixes
# torch: Generator()(torch.randn(1, 3, 16, 16))
import torch
import torch.nn as nn


class UpsampleBlock(nn.Module):
    def __init__(self, in_channels, up_scale):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, in_channels * up_scale ** 2, kernel_size=3, padding=1)
        self.pixel_shuffle = nn.PixelShuffle(up_scale)

    def forward(self, x):
        return torch.relu(self.pixel_shuffle(self.conv(x)))


class Generator(nn.Module):  # shapelint: input=(1, 3, 16, 16) output=(1, 3, 64, 64)
    def __init__(self, channels=8):
        super().__init__()
        self.stem = nn.Conv2d(3, channels, kernel_size=9, padding=4)
        self.up1 = UpsampleBlock(channels, 1)  # expect: SHP101 "up1.pixel_shuffle (PixelShuffle) with upscale_factor=2"
        self.up2 = UpsampleBlock(channels, 2)
        self.head = nn.Conv2d(channels, 3, kernel_size=9, padding=4)

    def forward(self, x):
        return self.head(self.up2(self.up1(self.stem(x))))
