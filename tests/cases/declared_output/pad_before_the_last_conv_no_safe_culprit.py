# A pix2pix-style head: upsample, an asymmetric ZeroPad2d, a kernel 4 convolution. The pad lost
# its left column. Its padding nudged back gives the declared output, and so does a kernel (4, 3)
# for the convolution, which would make its kernel written once for both dims oblong: the pad
# comes first, where the diagnostic goes. Which one slipped is still a guess: never safe.
# torch: Head()(torch.randn(1, 32, 32, 32))
import torch
import torch.nn as nn


class Head(nn.Module):  # shapelint: input=(1, 32, 32, 32) output=(1, 3, 64, 64)
    def __init__(self, out_channels=3):
        super().__init__()
        self.final = nn.Sequential(
            nn.Upsample(scale_factor=2),
            nn.ZeroPad2d((0, 0, 1, 0)),  # expect: SHP101 "final.1 (ZeroPad2d) with padding=(1, 0, 1, 0)"
            nn.Conv2d(32, out_channels, 4, padding=1),
            nn.Tanh(),
        )

    def forward(self, x):
        return self.final(x)
