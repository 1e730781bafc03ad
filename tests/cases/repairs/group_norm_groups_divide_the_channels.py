# GroupNorm(3, 32): 32 channels, used by every other layer, are not the slip; the fix is the
# nearest num_groups that divides them (4, as the model's other GroupNorm has).
# args: --unsafe-fixes
# torch: Net()(torch.randn(2, 3, 16, 16))
import torch
from torch import nn


class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16) output=(2, 32, 16, 16)
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.norm1 = nn.GroupNorm(4, 32)
        self.conv2 = nn.Conv2d(32, 32, 3, padding=1)
        self.norm2 = nn.GroupNorm(3, 32)  # expect: SHP103 "num_channels=32 is not divisible by num_groups=3"

    def forward(self, x):
        return self.norm2(self.conv2(self.norm1(self.conv1(x))))
