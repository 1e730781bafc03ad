"""A pix2pix PatchGAN discriminator: a helper function returning the layers of one block
(spread with ``*``), a ZeroPad2d((1, 0, 1, 0)) and a final 4x4 convolution to one channel."""

import torch
import torch.nn as nn


def discriminator_block(in_filters, out_filters, normalization=True):
    layers = [nn.Conv2d(in_filters, out_filters, 4, stride=2, padding=1)]
    if normalization:
        layers.append(nn.InstanceNorm2d(out_filters))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return layers


class Discriminator(nn.Module):  # shapelint: input=(1, 6, 64, 64) output=(1, 1, 4, 4)
    def __init__(self, in_channels=3):
        super(Discriminator, self).__init__()
        self.model = nn.Sequential(
            *discriminator_block(in_channels * 2, 16, normalization=False),
            *discriminator_block(16, 32),
            *discriminator_block(32, 64),
            *discriminator_block(64, 128),
            nn.ZeroPad2d((1, 0, 1, 0)),
            nn.Conv2d(128, 1, 4, padding=1, bias=False),
        )

    def forward(self, img):
        return self.model(img)
