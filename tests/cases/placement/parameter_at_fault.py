# A parameter PyTorch rejects, with no fix to offer: the diagnostic sits on that argument (the
# divisor of a "not divisible by"), not on the start of the call.
# torch: Net().eval()(torch.randn(1, 3, 8, 8))
import torch
from torch import nn


# shapelint: input=(1, 3, 8, 8)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 12, 3, padding=1)
        self.norm = nn.GroupNorm(num_channels=12, num_groups=5)  # expect: SHP103:62 "num_groups=5"

    def forward(self, x):
        return self.norm(self.conv(x))
