# A transposed convolution written with kernel 3 instead of 4: the fix restores its kernel, not
# a neighbour's kernel 16 and padding 15 that would absorb the missing size.
# args: --input Generator=1,100,1,1 --output Generator=1,3,16,16
# torch: Generator()(torch.randn(1, 100, 1, 1))
import torch
from torch import nn


class Generator(nn.Module):
    def __init__(self, nz=100, ngf=32):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 3, 2, 1, bias=False),  # expect: SHP201 SHP101
            nn.ReLU(True),
            nn.Conv2d(ngf, 3, 3, 1, 1),
            nn.Tanh(),
        )

    def forward(self, x):
        return self.main(x)
