"""3-D decoders. ``ResizeUpsampler`` is the honest answer to "160 -> 224": resize to the exact
size, then refine with a 'same' convolution. ``VolumeDecoder`` doubles H and W twice with
transposed convolutions that are exact (kernel 4, stride 2, padding 1).

Declarations: a pragma on the comment line above ``ResizeUpsampler``; jaxtyping annotations on
``VolumeDecoder.forward``.
"""

import torch
from jaxtyping import Float
from torch import Tensor, nn


# shapelint: input=(1, 4, 2, 160, 160) output=(1, 4, 2, 224, 224)
class ResizeUpsampler(nn.Module):
    def __init__(self, channels: int = 4):
        super().__init__()
        self.resize = nn.Upsample(size=(2, 224, 224), mode="trilinear", align_corners=False)
        self.refine = nn.Conv3d(channels, channels, kernel_size=3, padding="same")

    def forward(self, x):
        return self.refine(self.resize(x))


class VolumeDecoder(nn.Module):
    def __init__(self, latent_channels: int = 8, out_channels: int = 2):
        super().__init__()
        self.block1 = nn.Sequential(
            nn.ConvTranspose3d(latent_channels, 16, kernel_size=(1, 4, 4), stride=(1, 2, 2),
                               padding=(0, 1, 1)),
            nn.BatchNorm3d(16),
            nn.ReLU(inplace=True),
        )
        self.block2 = nn.Sequential(
            nn.ConvTranspose3d(16, 8, kernel_size=(3, 4, 4), stride=(1, 2, 2), padding=(1, 1, 1)),
            nn.BatchNorm3d(8),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Conv3d(8, out_channels, kernel_size=3, padding=1)

    def forward(
        self, z: Float[Tensor, "batch 8 2 10 10"]
    ) -> Float[Tensor, "batch 2 2 40 40"]:
        h = self.block1(z)
        h = self.block2(h)
        return torch.sigmoid(self.head(h))
