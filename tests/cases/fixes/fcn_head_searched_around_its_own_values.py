# An FCN-32s head written with kernel 65: the solver searches around the layer's own kernel 65
# and stride 32 (not the default bounds, kernel <= 16 and stride <= 8) and finds kernel 64.
# args: --input Head=1,3,224,224 --output Head=1,21,224,224
# torch: Head()(torch.randn(1, 3, 224, 224))
import torch
from torch import nn


class Head(nn.Module):
    def __init__(self, n=21):
        super().__init__()
        self.body = nn.Conv2d(3, n, 32, stride=32)
        self.up = nn.ConvTranspose2d(n, n, 65, stride=32, padding=16)  # expect: SHP201 SHP101

    def forward(self, x):
        return self.up(self.body(x))
