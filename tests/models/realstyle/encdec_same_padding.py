"""An image encoder/decoder whose convolutions keep sizes with ``padding=k // 2`` and change
them with strided convolutions and ``output_padding=1`` transposed convolutions."""

import torch
import torch.nn as nn

KERNEL = 5


class ConvEncoderDecoder(nn.Module):  # shapelint: input=(2, 3, 48, 48) output=(2, 3, 48, 48)
    def __init__(self, channels=3, width=8, k=3):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, width, KERNEL, padding=KERNEL // 2),
            nn.ReLU(),
            nn.Conv2d(width, width * 2, k, stride=2, padding=k // 2),
            nn.ReLU(),
            nn.Conv2d(width * 2, width * 4, k, stride=2, padding=k // 2),
            nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(width * 4, width * 2, k, stride=2, padding=k // 2, output_padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(width * 2, width, k, stride=2, padding=k // 2, output_padding=1),
            nn.ReLU(),
            nn.Conv2d(width, channels, KERNEL, padding=KERNEL // 2),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))
