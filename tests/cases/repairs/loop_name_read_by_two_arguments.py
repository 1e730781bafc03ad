# One loop name read by two arguments (`stride=u, padding=(k - u) // 2`): the solver wants stride 4
# and padding 2 for `ups.0`, which are two edits of one source. The name's value that gives both
# (u = 4) is the one edit, in the element of the default tuple; the diagnostic lands there.
# args: --unsafe-fixes
# torch: Generator()(torch.randn(1, 16, 20))
import torch
import torch.nn as nn


class Generator(nn.Module):  # shapelint: input=(1, 16, 20) output=(1, 1, 640)
    def __init__(self, num_mels=16, upsample_rates=(5, 4, 2), upsample_kernel_sizes=(8, 8, 4), ch=32):  # expect: SHP101 "stride=4, padding=2"
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
