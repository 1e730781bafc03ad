"""A DCGAN generator in the style of the PyTorch examples: module-level size constants
(``nz``, ``ngf``, ``nc``) and ``ngf * 8``-style channel expressions, 32x32 images."""

import torch
import torch.nn as nn

nz = 20
ngf = 4
nc = 3


class Generator(nn.Module):  # shapelint: input=(2, 20, 1, 1) output=(2, 3, 32, 32)
    def __init__(self):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)
