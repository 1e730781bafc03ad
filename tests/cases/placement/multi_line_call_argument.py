# A SHP102 in a call written over several lines lands on the line of the argument to change
# (in_channels), not on the line where the call starts.
# torch: Net().eval()(torch.randn(1, 3, 16, 16))
import torch
from torch import nn


# shapelint: input=(1, 3, 16, 16)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(
            16,  # expect: SHP102:13 "in_channels=16" "8 arrive"
            32,
            kernel_size=3,
        )
        self.head = nn.Linear(
            in_features=32 * 14 * 14,
            out_features=10,
        )

    def forward(self, x):
        x = self.conv2(self.conv1(x))
        return self.head(x.flatten(1))
