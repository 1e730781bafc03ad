# A module constant read by a layer and by other code (`nz` of a DCGAN generator): the fix edits
# the constant where it is assigned, and the diagnostic goes there (re-analysis checks every use).
# args: --unsafe-fixes
# torch: Generator()(torch.randn(2, 16, 1, 1))
import torch
from torch import nn

nz = 15  # expect: SHP102 "15 input channels" "16 arrive"
ngf = 8


class Generator(nn.Module):  # shapelint: input=(2, 16, 1, 1) output=(2, 16, 4, 4)
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
        )

    def forward(self, x):
        return self.main(x)


NOISE_SHAPE = (2, nz, 1, 1)
