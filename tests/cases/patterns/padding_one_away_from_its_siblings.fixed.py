# A discriminator whose strided convolutions are all kernel 4, stride 2, padding 1 but one with
# padding 0: the last layer's kernel no longer fits what arrives (SHP105). The odd layer differs
# from its siblings in that one value: the diagnostic goes there, with the fix that makes it a
# copy of them (unsafe: a guess, with the model's own pattern as evidence).
# args: --unsafe-fixes
# torch: Discriminator()(torch.randn(2, 3, 32, 32))
import torch
import torch.nn as nn


class Discriminator(nn.Module):  # shapelint: input=(2, 3, 32, 32)
    def __init__(self, nc=3, ndf=8):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.main(x)
