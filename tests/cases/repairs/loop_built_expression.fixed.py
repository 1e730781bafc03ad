# Layers built in a loop from `ch // (2 ** i)` where one literal slipped (`1 ** i`): the
# expression is solved with the values of `ch` and `i` that built the failing instance, its
# literal changes, and re-analysis checks every instance (unsafe: the layer is built 3 times).
# args: --unsafe-fixes
# torch: Up()(torch.randn(1, 32, 10))
import torch
import torch.nn as nn


class Up(nn.Module):  # shapelint: input=(1, 32, 10) output=(1, 4, 80)
    def __init__(self, ch=32, rates=(2, 2, 2)):
        super().__init__()
        self.ups = nn.ModuleList()
        for i, u in enumerate(rates):
            self.ups.append(nn.ConvTranspose1d(ch // (2 ** i), ch // (2 ** (i + 1)), 2 * u, u, padding=u // 2))

    def forward(self, x):
        for up in self.ups:
            x = up(x)
        return x
