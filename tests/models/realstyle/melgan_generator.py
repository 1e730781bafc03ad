"""A MelGAN-style generator: reflection-padded 1-D convolutions, transposed convolutions whose
kernel is twice the ratio, and residual stacks with growing dilations."""

import torch
import torch.nn as nn


class ResnetBlock(nn.Module):
    def __init__(self, dim, dilation=1):
        super().__init__()
        self.block = nn.Sequential(
            nn.LeakyReLU(0.2),
            nn.ReflectionPad1d(dilation),
            nn.Conv1d(dim, dim, kernel_size=3, dilation=dilation),
            nn.LeakyReLU(0.2),
            nn.Conv1d(dim, dim, kernel_size=1),
        )
        self.shortcut = nn.Conv1d(dim, dim, kernel_size=1)

    def forward(self, x):
        return self.shortcut(x) + self.block(x)


class MelGANGenerator(nn.Module):  # shapelint: input=(1, 16, 12) output=(1, 1, 384)
    def __init__(self, input_size=16, ngf=8, n_residual_layers=2, ratios=(8, 4)):
        super().__init__()
        mult = int(2 ** len(ratios))
        model = [
            nn.ReflectionPad1d(3),
            nn.Conv1d(input_size, mult * ngf, kernel_size=7, padding=0),
        ]
        for i, r in enumerate(ratios):
            model += [
                nn.LeakyReLU(0.2),
                nn.ConvTranspose1d(mult * ngf, mult * ngf // 2, kernel_size=r * 2, stride=r, padding=r // 2 + r % 2, output_padding=r % 2),
            ]
            for j in range(n_residual_layers):
                model += [ResnetBlock(mult * ngf // 2, dilation=3 ** j)]
            mult //= 2
        model += [
            nn.LeakyReLU(0.2),
            nn.ReflectionPad1d(3),
            nn.Conv1d(ngf, 1, kernel_size=7, padding=0),
            nn.Tanh(),
        ]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)
