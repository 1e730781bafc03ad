# A 1x1 shortcut beside a block: the shortcut keeps the size, the block's 2-tap convolution
# (without padding) does not; the block is the likely culprit, so the SHP106 goes to its kernel,
# with an unsafe fix (both sides have layers: the culprit is not certain).
# args: --input Net=1,8,20 --unsafe-fixes
# torch: Net().eval()(torch.randn(1, 8, 20))
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad1d(1),
            nn.Conv1d(8, 8, kernel_size=3),
            nn.LeakyReLU(0.2),
            nn.Conv1d(8, 8, kernel_size=1),
        )
        self.shortcut = nn.Conv1d(8, 8, kernel_size=1)

    def forward(self, x):
        return self.shortcut(x) + self.block(x)
