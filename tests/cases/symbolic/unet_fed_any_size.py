# A U-Net of depth 3 declared "b 3 h w" -> "b 2 h w": it runs only for h and w multiples of 8,
# a set with gaps: SHP203 at the input declaration with the smallest counterexample.
import torch
import torch.nn as nn
from jaxtyping import Float
from torch import Tensor


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.inc = nn.Conv2d(3, 4, 3, padding=1)
        self.downs = nn.ModuleList([nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, padding=1)) for _ in range(3)])
        self.ups = nn.ModuleList([nn.ConvTranspose2d(4, 4, 2, stride=2) for _ in range(3)])
        self.decs = nn.ModuleList([nn.Conv2d(8, 4, 3, padding=1) for _ in range(3)])
        self.out = nn.Conv2d(4, 2, 1)

    def forward(self, x: Float[Tensor, "b 3 h w"]) -> Float[Tensor, "b 2 h w"]:  # expect: SHP203 "h % 8 == 0" "h = 8 works, h = 9 does not"
        x = self.inc(x)
        skips = []
        for down in self.downs:
            skips.append(x)
            x = down(x)
        for up, dec in zip(self.ups, self.decs):
            x = dec(torch.cat([skips.pop(), up(x)], dim=1))
        return self.out(x)
