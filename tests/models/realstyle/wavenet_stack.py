"""A WaveNet-style stack: a causal front convolution, gated residual layers with dilations
``2 ** i`` and ``padding=dilation`` (symmetric, non-causal variant), skip sums, a 1x1 head."""

import torch
import torch.nn as nn


class GatedResidual(nn.Module):
    def __init__(self, residual_channels, skip_channels, dilation, kernel_size=3):
        super().__init__()
        self.dilated = nn.Conv1d(residual_channels, 2 * residual_channels, kernel_size, padding=dilation * (kernel_size - 1) // 2, dilation=dilation)
        self.res = nn.Conv1d(residual_channels, residual_channels, 1)
        self.skip = nn.Conv1d(residual_channels, skip_channels, 1)

    def forward(self, x):
        h = self.dilated(x)
        a, b = h.chunk(2, dim=1)
        h = torch.tanh(a) * torch.sigmoid(b)
        return x + self.res(h), self.skip(h)


class WaveNet(nn.Module):  # shapelint: input=(1, 1, 64) output=(1, 8, 64)
    def __init__(self, layers=4, residual_channels=8, skip_channels=12, out_channels=8):
        super().__init__()
        self.front = nn.Conv1d(1, residual_channels, kernel_size=1)
        self.stack = nn.ModuleList([GatedResidual(residual_channels, skip_channels, 2 ** i) for i in range(layers)])
        self.head = nn.Sequential(nn.ReLU(), nn.Conv1d(skip_channels, out_channels, 1))

    def forward(self, x):
        x = self.front(x)
        skips = 0
        for layer in self.stack:
            x, s = layer(x)
            skips = skips + s
        return self.head(skips)
