# `ngf * 9` where `ngf * 8` arrive: the factor changes, `ngf` stays (unsafe: `ngf * 8` could be the slip).
# args: --input G=1,100,1,1 --unsafe-fixes
# torch: G()(torch.randn(1, 100, 1, 1))
import torch
from torch import nn


class G(nn.Module):
    def __init__(self, nz=100, ngf=16):
        super().__init__()
        self.a = nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False)
        self.b = nn.ConvTranspose2d(ngf * 9, ngf * 4, 4, 2, 1, bias=False)  # expect: SHP102

    def forward(self, x):
        return self.b(self.a(x))
