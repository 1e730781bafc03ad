# A MelGAN-style upsampler: one ratio `r` of the loop gives the kernel, stride, padding and
# output_padding of its transposed convolution. No single parameter's change undoes the slipped
# ratio 9: the ratio itself is moved (9 -> 8, the layer's usual form back), one edit in the default.
# args: --unsafe-fixes
# torch: Upsampler()(torch.randn(1, 16, 12))
import torch
import torch.nn as nn


class Upsampler(nn.Module):  # shapelint: input=(1, 16, 12) output=(1, 4, 384)
    def __init__(self, channels=16, ratios=(9, 4)):  # expect: SHP101 "kernel_size=16, stride=8, padding=4, output_padding=0"
        super().__init__()
        layers = []
        for r in ratios:
            layers += [
                nn.LeakyReLU(0.2),
                nn.ConvTranspose1d(channels, channels // 2, kernel_size=r * 2, stride=r, padding=r // 2 + r % 2, output_padding=r % 2),
            ]
            channels //= 2
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)
