"""A convolutional autoencoder for 28x28 digits: strided convolutions down to 7x7 and a 7x7
bottleneck convolution, transposed convolutions with ``output_padding=1`` back up."""

import torch
import torch.nn as nn


class ConvAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 7),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 7),
            nn.ReLU(),
            nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1),
            nn.Sigmoid(),
        )

    def forward(self, x):  # shapelint: input=(8, 1, 28, 28) output=(8, 1, 28, 28)
        return self.decoder(self.encoder(x))
