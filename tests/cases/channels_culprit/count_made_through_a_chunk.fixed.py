# A gated layer makes `1 * channels` (meant `2 * channels`) and cuts them in two halves (a
# chunk): 4 channels arrive where the next convolution expects 8. The gate's convolution made the
# count (twice what arrives): its expression is the fix.
# args: --input Net=1,8,32 --unsafe-fixes
# torch: Net().eval()(torch.randn(1, 8, 32))
import torch
import torch.nn as nn


class Gated(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.gate = nn.Conv1d(channels, 2 * channels, 3, padding=1)
        self.res = nn.Conv1d(channels, channels, 1)

    def forward(self, x):
        a, b = self.gate(x).chunk(2, dim=1)
        return x + self.res(torch.tanh(a) * torch.sigmoid(b))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Gated(8)

    def forward(self, x):
        return self.block(x)
