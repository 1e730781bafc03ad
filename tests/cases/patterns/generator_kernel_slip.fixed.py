# Three transposed convolutions with kernel 4 and one with 3: the model misses its declared
# output, and SHP101 lands on the layer that breaks its siblings' pattern (not on a neighbour
# that could absorb the error), with the fix that puts its kernel back.
# args: --unsafe-fixes
# torch: Generator()(torch.randn(2, 16, 1, 1))
import torch
import torch.nn as nn


class Generator(nn.Module):  # shapelint: input=(2, 16, 1, 1) output=(2, 3, 32, 32)
    def __init__(self, nz=16, ngf=8):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, x):
        return self.main(x)
