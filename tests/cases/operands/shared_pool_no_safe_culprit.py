# A 3-D U-Net whose one pool (used twice) has stride 1: only the upsampling side of the skip has
# layers of its own, but two of them change the size there (the pool's second use and the
# transposed convolution): which one slipped is a guess, so the fix (at the convolution) is never safe.
# torch: UNet3D()(torch.randn(1, 1, 16, 16, 16))
import torch
import torch.nn as nn


class UNet3D(nn.Module):  # shapelint: input=(1, 1, 16, 16, 16) output=(1, 8, 32, 32, 32)
    def __init__(self, base=4):
        super().__init__()
        self.enc1 = nn.Conv3d(1, base, kernel_size=3, padding=1)
        self.enc2 = nn.Conv3d(base, base * 2, kernel_size=3, padding=1)
        self.bottleneck = nn.Conv3d(base * 2, base * 4, kernel_size=3, padding=1)
        self.pool = nn.MaxPool3d(kernel_size=2, stride=1)
        self.up2 = nn.ConvTranspose3d(base * 4, base * 2, kernel_size=2, stride=2)  # expect: SHP106

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        b = self.bottleneck(self.pool(e2))
        return torch.cat([self.up2(b), e2], dim=1)
