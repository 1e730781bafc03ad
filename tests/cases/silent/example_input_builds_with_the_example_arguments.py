# An example input builds the model with the example's constructor arguments (4 channels,
# kernel 3): nothing to report.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

class Net(nn.Module):
    def __init__(self, c=3, k=5):
        super().__init__()
        self.conv = nn.Conv2d(c, 8, k)

    def forward(self, x):
        return self.conv(x)

if __name__ == "__main__":
    net = Net(4, k=3).eval()
    net(torch.randn(1, 4, 10, 10))
