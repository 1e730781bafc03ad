# No declaration: 16*(h - 2)*(w - 2) features reach a Linear of 401, a count no h and w make
# (flattened from dim -3, the same for a batched and an unbatched input): SHP102.
# torch: Net().eval()(torch.randn(1, 3, 12, 12))
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3)
        self.fc = nn.Linear(401, 10)  # expect: SHP102 "401 input features" "for no size"

    def forward(self, x):
        return self.fc(self.conv(x).flatten(-3))
