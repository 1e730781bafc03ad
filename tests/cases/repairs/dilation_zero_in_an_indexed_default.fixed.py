# A dilation of 0 read by index from a tuple default (`dilation[0]` of `dilation=(0, 3)`), and
# passed to a padding helper too: PyTorch rejects it; the fix gives the element its smallest
# valid value where the tuple is written, and the padding follows.
# args: --unsafe-fixes
# torch: Stack()(torch.randn(1, 8, 40))
import torch
import torch.nn as nn


def get_padding(kernel_size, dilation=1):
    return int((kernel_size * dilation - dilation) / 2)


class Block(nn.Module):
    def __init__(self, channels, kernel_size=3, dilation=(1, 3)):
        super().__init__()
        self.first = nn.Conv1d(channels, channels, kernel_size, dilation=dilation[0], padding=get_padding(kernel_size, dilation[0]))
        self.second = nn.Conv1d(channels, channels, kernel_size, dilation=dilation[1], padding=get_padding(kernel_size, dilation[1]))

    def forward(self, x):
        return self.second(self.first(x)) + x


class Stack(nn.Module):  # shapelint: input=(1, 8, 40) output=(1, 8, 40)
    def __init__(self):
        super().__init__()
        self.block = Block(8)

    def forward(self, x):
        return self.block(x)
