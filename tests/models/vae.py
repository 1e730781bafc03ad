"""A VAE decoder (after AntixK/PyTorch-VAE): a Linear from the latent code, ``.view`` to a feature
map, then transposed-convolution blocks built in a loop.

Declarations: torchinfo's ``summary(model, input_size=...)`` under ``__main__``.
"""

from typing import List

import torch
from torch import nn


class VAEDecoder(nn.Module):
    def __init__(self, latent_dim: int = 16, hidden_dims: List = None, out_channels: int = 3):
        super(VAEDecoder, self).__init__()
        if hidden_dims is None:
            hidden_dims = [64, 32, 16]
        self.hidden_dims = hidden_dims

        self.decoder_input = nn.Linear(latent_dim, hidden_dims[0] * 4 * 4)

        modules = []
        for i in range(len(hidden_dims) - 1):
            modules.append(
                nn.Sequential(
                    nn.ConvTranspose2d(hidden_dims[i],
                                       hidden_dims[i + 1],
                                       kernel_size=3,
                                       stride=2,
                                       padding=1,
                                       output_padding=1),
                    nn.BatchNorm2d(hidden_dims[i + 1]),
                    nn.LeakyReLU())
            )
        self.decoder = nn.Sequential(*modules)

        self.final_layer = nn.Sequential(
            nn.ConvTranspose2d(hidden_dims[-1],
                               hidden_dims[-1],
                               kernel_size=3,
                               stride=2,
                               padding=1,
                               output_padding=1),
            nn.BatchNorm2d(hidden_dims[-1]),
            nn.LeakyReLU(),
            nn.Conv2d(hidden_dims[-1], out_channels=out_channels,
                      kernel_size=3, padding=1),
            nn.Tanh())

    def forward(self, z):
        result = self.decoder_input(z)
        result = result.view(-1, self.hidden_dims[0], 4, 4)
        result = self.decoder(result)
        result = self.final_layer(result)
        return result


if __name__ == "__main__":
    from torchinfo import summary

    model = VAEDecoder()
    summary(model, input_size=(4, 16))
