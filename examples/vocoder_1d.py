"""A HiFi-GAN-like 1-D upsampler built in a loop from config lists.

Declaration style: CLI or pyproject, e.g.
`shapelint check examples/vocoder_1d.py --input Vocoder=1,80,50 --output Vocoder=1,1,12800`.
"""

import torch.nn as nn
import torch.nn.functional as F

UPSAMPLE_RATES = [8, 8, 2, 2]
UPSAMPLE_KERNEL_SIZES = [16, 16, 4, 4]


class Vocoder(nn.Module):
    def __init__(self, n_mels=80, channels=128):
        super().__init__()
        self.conv_pre = nn.Conv1d(n_mels, channels, 7, 1, padding=3)
        self.ups = nn.ModuleList()
        for i, (u, k) in enumerate(zip(UPSAMPLE_RATES, UPSAMPLE_KERNEL_SIZES)):
            self.ups.append(
                nn.ConvTranspose1d(
                    channels // (2**i), channels // (2 ** (i + 1)), k, u, padding=(k - u) // 2
                )
            )
        self.conv_post = nn.Conv1d(channels // (2 ** len(self.ups)), 1, 7, 1, padding=3)

    def forward(self, x):
        x = self.conv_pre(x)
        for up in self.ups:
            x = F.leaky_relu(x, 0.1)
            x = up(x)
        x = F.leaky_relu(x)
        return F.tanh(self.conv_post(x))
