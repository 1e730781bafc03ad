"""A waveform encoder in the style of neural audio codecs: strided 1-D convolutions whose kernel
is ``2 * stride`` with ``padding=stride // 2``, from a list of strides, then a projection."""

import torch
import torch.nn as nn


class EncoderBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.res = nn.Conv1d(in_ch, in_ch, kernel_size=3, padding=1)
        self.act = nn.ELU()
        self.down = nn.Conv1d(in_ch, out_ch, kernel_size=2 * stride, stride=stride, padding=stride // 2)

    def forward(self, x):
        x = x + self.res(self.act(x))
        return self.down(self.act(x))


class WaveEncoder(nn.Module):  # shapelint: input=(2, 1, 256) output=(2, 16, 16)
    def __init__(self, channels=4, strides=(2, 2, 4), dim=16):
        super().__init__()
        self.stem = nn.Conv1d(1, channels, kernel_size=7, padding=3)
        blocks = []
        ch = channels
        for s in strides:
            blocks.append(EncoderBlock(ch, ch * 2, stride=s))
            ch *= 2
        self.blocks = nn.Sequential(*blocks)
        self.proj = nn.Conv1d(ch, dim, kernel_size=3, padding=1)

    def forward(self, x):
        return self.proj(self.blocks(self.stem(x)))
