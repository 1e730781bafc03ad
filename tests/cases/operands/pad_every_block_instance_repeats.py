# A residual block used twice that pads by reflection before each unpadded 3x3 convolution. Its
# first pad was written 0: the block's output is 2 pixels smaller than its input, and the sum
# fails. The pad is the block's one layer whose value no other writing shares (both instances
# repeat this one), and its sibling pads 1: the diagnostic goes to the pad in the block
# (unsafe: a guess).
# args: --unsafe-fixes
# torch: Net()(torch.randn(1, 8, 16, 16))
import torch
import torch.nn as nn


class ResidualBlock(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(0),  # expect: SHP106 "blocks.0.block.0 (ReflectionPad2d) with padding=1"
            nn.Conv2d(features, features, 3),
            nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(features, features, 3),
        )

    def forward(self, x):
        return x + self.block(x)


class Net(nn.Module):  # shapelint: input=(1, 8, 16, 16)
    def __init__(self, features=8):
        super().__init__()
        self.blocks = nn.Sequential(ResidualBlock(features), ResidualBlock(features))

    def forward(self, x):
        return self.blocks(x)
