# A channel chain that needs no input size: BatchNorm2d counts 16 channels, 8 arrive.
# Shared: the end-to-end tests of the command and of the flake8 plugin run on this file.
from torch import nn

block = nn.Sequential(
    nn.Conv2d(3, 8, kernel_size=3, padding=1),
    nn.BatchNorm2d(16),  # expect: SHP102
    nn.ReLU(),
)
