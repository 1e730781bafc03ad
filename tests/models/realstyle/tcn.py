"""A temporal convolutional network: causal dilated 1-D convolutions padded by
``(kernel_size - 1) * dilation`` and chomped back, residual 1x1 downsampling, a linear head on
the last time step."""

import torch
import torch.nn as nn


class Chomp1d(nn.Module):
    def __init__(self, chomp_size):
        super(Chomp1d, self).__init__()
        self.chomp_size = chomp_size

    def forward(self, x):
        return x[:, :, : -self.chomp_size].contiguous()


class TemporalBlock(nn.Module):
    def __init__(self, n_inputs, n_outputs, kernel_size, stride, dilation, padding):
        super(TemporalBlock, self).__init__()
        self.conv1 = nn.Conv1d(n_inputs, n_outputs, kernel_size, stride=stride, padding=padding, dilation=dilation)
        self.chomp1 = Chomp1d(padding)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv1d(n_outputs, n_outputs, kernel_size, stride=stride, padding=padding, dilation=dilation)
        self.chomp2 = Chomp1d(padding)
        self.relu2 = nn.ReLU()
        self.net = nn.Sequential(self.conv1, self.chomp1, self.relu1, self.conv2, self.chomp2, self.relu2)
        self.downsample = nn.Conv1d(n_inputs, n_outputs, 1) if n_inputs != n_outputs else None

    def forward(self, x):
        out = self.net(x)
        res = x if self.downsample is None else self.downsample(x)
        return torch.relu(out + res)


class TCN(nn.Module):  # shapelint: input=(2, 4, 50) output=(2, 3)
    def __init__(self, input_size=4, output_size=3, kernel_size=3):
        super(TCN, self).__init__()
        self.block1 = TemporalBlock(input_size, 8, kernel_size, stride=1, dilation=1, padding=(kernel_size - 1) * 1)
        self.block2 = TemporalBlock(8, 8, kernel_size, stride=1, dilation=2, padding=(kernel_size - 1) * 2)
        self.block3 = TemporalBlock(8, 16, kernel_size, stride=1, dilation=4, padding=(kernel_size - 1) * 4)
        self.linear = nn.Linear(16, output_size)

    def forward(self, x):
        y = self.block3(self.block2(self.block1(x)))
        return self.linear(y[:, :, -1])
