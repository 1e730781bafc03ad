"""The question that started shapelint: "which kernel/stride/padding turns my
[16, 256, 16, 160, 160] tensor into [16, 256, 16, 224, 224] with a ConvTranspose3d?"

This is the attempt as it was written (channels cut to 4, depth to 2, to run on a laptop CPU):
it makes 320 x 320, not 224 x 224. shapelint must say so before anything runs.

Declarations: a pragma on the ``def forward`` line.
"""

import torch
from torch import nn


class Upsampler(nn.Module):
    def __init__(self, channels: int = 4):
        super().__init__()
        self.up = nn.ConvTranspose3d(
            channels, channels, kernel_size=(3, 4, 4), stride=(1, 2, 2), padding=(1, 1, 1)
        )
        self.act = nn.ReLU()

    def forward(self, x):  # shapelint: input=(1, 4, 2, 160, 160) output=(1, 4, 2, 224, 224)
        return self.act(self.up(x))
