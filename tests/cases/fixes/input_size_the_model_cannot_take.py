# An odd input (161) into a U-Net: no layer edit, the nearest sizes the model takes instead.
# torch: UNet()(torch.randn(1, 3, 161, 160))
import torch
from torch import nn


class Down(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.pool = nn.MaxPool2d(2)
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x):
        return self.conv(self.pool(x))


class Up(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.up = nn.ConvTranspose2d(cin, cin // 2, 2, stride=2)
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(x)], dim=1))  # expect: SHP106 "pad to 164 or crop to 160"


class UNet(nn.Module):  # shapelint: input=(1, 3, 161, 160)
    def __init__(self):
        super().__init__()
        self.inc = nn.Conv2d(3, 16, 3, padding=1)
        self.down1 = Down(16, 32)
        self.down2 = Down(32, 64)
        self.up1 = Up(64, 32)
        self.up2 = Up(32, 16)
        self.outc = nn.Conv2d(16, 2, 1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        return self.outc(self.up2(self.up1(x3, x2), x1))
