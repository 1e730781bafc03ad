# `k` is the kernel of the upsampling loop and, later, of the residual loop: the slipped kernel 7
# is still followed to its element of `upsample_kernel_sizes` (the upsampling loop binds `k` once),
# and moving it back to 8 sets the padding `(k - u) // 2` that reads it too.
# args: --unsafe-fixes
# torch: Generator()(torch.randn(1, 16, 20))
import torch
import torch.nn as nn


class Generator(nn.Module):  # shapelint: input=(1, 16, 20) output=(1, 4, 640)
    def __init__(self, upsample_rates=(4, 4, 2), upsample_kernel_sizes=(8, 8, 4), resblock_kernel_sizes=(3, 5), ch=32):
        super().__init__()
        self.pre = nn.Conv1d(16, ch, 7, padding=3)
        self.ups = nn.ModuleList()
        for i, (u, k) in enumerate(zip(upsample_rates, upsample_kernel_sizes)):
            self.ups.append(nn.ConvTranspose1d(ch // (2 ** i), ch // (2 ** (i + 1)), k, u, padding=(k - u) // 2))
        self.blocks = nn.ModuleList()
        for k in resblock_kernel_sizes:
            self.blocks.append(nn.Conv1d(ch // 8, ch // 8, k, padding=k // 2))

    def forward(self, x):
        x = self.pre(x)
        for up in self.ups:
            x = up(x)
        for block in self.blocks:
            x = x + block(x)
        return x
