"""An Inception-style network: a block of parallel 1x1, 3x3 and 5x5 branches and a pooling
branch, concatenated; instantiated twice with different widths, then a linear classifier."""

import torch
import torch.nn as nn


class BasicConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class InceptionA(nn.Module):
    def __init__(self, in_channels, pool_features):
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, 8, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(in_channels, 6, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(6, 8, kernel_size=5, padding=2)
        self.branch3x3_1 = BasicConv2d(in_channels, 8, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(8, 12, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, kernel_size=1)
        self.pool = nn.AvgPool2d(kernel_size=3, stride=1, padding=1)

    def forward(self, x):
        branch1x1 = self.branch1x1(x)
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3 = self.branch3x3_2(self.branch3x3_1(x))
        branch_pool = self.branch_pool(self.pool(x))
        return torch.cat([branch1x1, branch5x5, branch3x3, branch_pool], 1)


class MiniInception(nn.Module):  # shapelint: input=(2, 3, 16, 16) output=(2, 10)
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = BasicConv2d(3, 16, kernel_size=3, padding=1)
        self.mixed_a = InceptionA(16, pool_features=4)
        self.mixed_b = InceptionA(32, pool_features=8)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc = nn.Linear(36 * 8 * 8, num_classes)

    def forward(self, x):
        x = self.mixed_b(self.mixed_a(self.stem(x)))
        x = self.pool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)
