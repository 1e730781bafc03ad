"""The question that started shapelint.

"Which kernel/stride/padding turns my [16, 256, 16, 160, 160] tensor into [16, 256, 16, 224, 224]
with a ConvTranspose3d?" -- None that is sensible: stride 2 maps 160 to at least 319 without
cropping, and 224 / 160 = 1.4 is not an integer factor. shapelint says so before anything runs,
and suggests resizing instead (see `shapelint solve ConvTranspose3d 16x160x160 16x224x224 --stride 1x2x2`).

Declaration style: jaxtyping annotations on forward.
"""

import torch
from jaxtyping import Float
from torch import Tensor, nn


class Upsampler(nn.Module):
    def __init__(self, channels: int = 256):
        super().__init__()
        self.up = nn.ConvTranspose3d(
            channels, channels, kernel_size=(3, 4, 4), stride=(1, 2, 2), padding=(1, 1, 1)
        )
        self.act = nn.ReLU()

    def forward(
        self, x: Float[Tensor, "16 256 16 160 160"]
    ) -> Float[Tensor, "16 256 16 224 224"]:
        return self.act(self.up(x))


class ResizeUpsampler(nn.Module):
    """The honest answer: resize to the exact size, then refine with a 'same' convolution."""

    def __init__(self, channels: int = 256):
        super().__init__()
        self.resize = nn.Upsample(size=(16, 224, 224), mode="trilinear")
        self.refine = nn.Conv3d(channels, channels, kernel_size=3, padding="same")

    def forward(
        self, x: Float[Tensor, "b 256 16 160 160"]
    ) -> Float[Tensor, "b 256 16 224 224"]:
        return self.refine(self.resize(x))
