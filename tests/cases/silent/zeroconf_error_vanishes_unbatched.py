# No declaration: batched ([b, 3, h, w]), 16*(h - 2)*(w - 2) features never make 401; but a
# Conv2d also takes an unbatched [3, h, w], and then flatten(1) leaves (h - 2)*(w - 2) features,
# 401 for h = 3, w = 403: PyTorch runs it, so nothing is certain and nothing is reported.
# torch: Net().eval()(torch.randn(3, 3, 403))
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3)
        self.fc = nn.Linear(401, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))
