# No declaration: a U-Net of depth 3 runs only for h and w multiples of 8. Failing for some
# sizes is no error without a declared size, and no SHP203 either (that one is about a
# declaration): `shapes` gives the sizes (Accepts: h % 8 == 0 and w % 8 == 0).
# torch: Net().eval()(torch.randn(1, 3, 16, 16))
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inc = nn.Conv2d(3, 4, 3, padding=1)
        self.downs = nn.ModuleList([nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, padding=1)) for _ in range(3)])
        self.ups = nn.ModuleList([nn.ConvTranspose2d(4, 4, 2, stride=2) for _ in range(3)])
        self.decs = nn.ModuleList([nn.Conv2d(8, 4, 3, padding=1) for _ in range(3)])

    def forward(self, x):
        x = self.inc(x)
        skips = []
        for down in self.downs:
            skips.append(x)
            x = down(x)
        for up, dec in zip(self.ups, self.decs):
            x = dec(torch.cat([skips.pop(), up(x)], dim=1))
        return x
