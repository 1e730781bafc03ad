"""An SRGAN-style generator: residual blocks, then upsampling blocks of a convolution to
``in_channels * 4`` channels and PixelShuffle(2), a 9x9 stem and head."""

import torch
import torch.nn as nn


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.prelu = nn.PReLU()
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        residual = self.prelu(self.bn1(self.conv1(x)))
        residual = self.bn2(self.conv2(residual))
        return x + residual


class UpsampleBlock(nn.Module):
    def __init__(self, in_channels, up_scale):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, in_channels * up_scale ** 2, kernel_size=3, padding=1)
        self.pixel_shuffle = nn.PixelShuffle(up_scale)
        self.prelu = nn.PReLU()

    def forward(self, x):
        return self.prelu(self.pixel_shuffle(self.conv(x)))


class SRGenerator(nn.Module):  # shapelint: input=(1, 3, 16, 16) output=(1, 3, 64, 64)
    def __init__(self, n_residual=2, channels=16):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, channels, kernel_size=9, padding=4), nn.PReLU())
        self.residuals = nn.Sequential(*[ResidualBlock(channels) for _ in range(n_residual)])
        self.block2 = nn.Sequential(nn.Conv2d(channels, channels, kernel_size=3, padding=1), nn.BatchNorm2d(channels))
        self.up1 = UpsampleBlock(channels, 2)
        self.up2 = UpsampleBlock(channels, 2)
        self.head = nn.Conv2d(channels, 3, kernel_size=9, padding=4)

    def forward(self, x):
        block1 = self.block1(x)
        out = self.block2(self.residuals(block1))
        out = self.up2(self.up1(block1 + out))
        return torch.tanh(self.head(out))
