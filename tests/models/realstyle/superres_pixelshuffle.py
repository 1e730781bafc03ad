"""A sub-pixel super-resolution network in the style of the PyTorch examples: four
convolutions, the last one producing ``upscale_factor ** 2`` channels for PixelShuffle."""

import torch
import torch.nn as nn


class SuperResolutionNet(nn.Module):  # shapelint: input=(1, 1, 24, 24) output=(1, 1, 72, 72)
    def __init__(self, upscale_factor=3):
        super(SuperResolutionNet, self).__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 32, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(32, 32, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(32, 16, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(16, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        return self.pixel_shuffle(self.conv4(x))
