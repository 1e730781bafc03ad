# A generator head: upsample by 2, pad, a kernel 4 convolution, declared to give 64 x 64. The
# upsampling was written with scale_factor=3: the solver could make the convolution absorb it
# (a kernel 12, dilation 3 convolution), but the upsampling's scale factor nudged back by one is
# the slip undone: the diagnostic goes there (unsafe: a guess).
# args: --unsafe-fixes
# torch: Head()(torch.randn(1, 32, 32, 32))
import torch
import torch.nn as nn


class Head(nn.Module):  # shapelint: input=(1, 32, 32, 32) output=(1, 3, 64, 64)
    def __init__(self, out_channels=3):
        super().__init__()
        self.final = nn.Sequential(
            nn.Upsample(scale_factor=2),
            nn.ZeroPad2d((1, 0, 1, 0)),
            nn.Conv2d(32, out_channels, 4, padding=1),
            nn.Tanh(),
        )

    def forward(self, x):
        return self.final(x)
