# Upsampling layers built in a loop over `zip(upsample_rates, upsample_kernel_sizes)`: one rate of
# the default tuple is the slip. The diagnostic and the fix go to that element of the default,
# not to the layer after the loop (unsafe: every instance reads the tuple, re-analysis confirms).
# args: --unsafe-fixes
# torch: Generator()(torch.randn(1, 16, 20))
import torch
import torch.nn as nn


class Generator(nn.Module):  # shapelint: input=(1, 16, 20) output=(1, 1, 640)
    def __init__(self, num_mels=16, upsample_rates=(4, 3, 2), upsample_kernel_sizes=(8, 8, 4), ch=32):  # expect: SHP101 "stride=4"
        super().__init__()
        self.pre = nn.Conv1d(num_mels, ch, 7, padding=3)
        self.ups = nn.ModuleList()
        for i, (u, k) in enumerate(zip(upsample_rates, upsample_kernel_sizes)):
            self.ups.append(nn.ConvTranspose1d(ch // (2 ** i), ch // (2 ** (i + 1)), k, u, padding=(k - u) // 2))  # expect: SHP201
        self.post = nn.Conv1d(ch // (2 ** len(upsample_rates)), 1, 7, padding=3)

    def forward(self, x):
        x = self.pre(x)
        for up in self.ups:
            x = up(x)
        return self.post(x)
