"""A small 3-D U-Net: double 3x3x3 convolutions, max pooling, transposed convolutions with
kernel 2 and stride 2, skips concatenated on the channel axis."""

import torch
import torch.nn as nn


class ConvBlock3d(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv3d(in_ch, out_ch, kernel_size=3, padding=1),
            nn.BatchNorm3d(out_ch),
            nn.ReLU(inplace=True),
            nn.Conv3d(out_ch, out_ch, kernel_size=3, padding=1),
            nn.BatchNorm3d(out_ch),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.block(x)


class UNet3D(nn.Module):  # shapelint: input=(1, 1, 16, 16, 16) output=(1, 2, 16, 16, 16)
    def __init__(self, in_channels=1, n_classes=2, base=4):
        super().__init__()
        self.enc1 = ConvBlock3d(in_channels, base)
        self.enc2 = ConvBlock3d(base, base * 2)
        self.bottleneck = ConvBlock3d(base * 2, base * 4)
        self.pool = nn.MaxPool3d(kernel_size=2, stride=2)
        self.up2 = nn.ConvTranspose3d(base * 4, base * 2, kernel_size=2, stride=2)
        self.dec2 = ConvBlock3d(base * 4, base * 2)
        self.up1 = nn.ConvTranspose3d(base * 2, base, kernel_size=2, stride=2)
        self.dec1 = ConvBlock3d(base * 2, base)
        self.head = nn.Conv3d(base, n_classes, kernel_size=1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        b = self.bottleneck(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up2(b), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.head(d1)
