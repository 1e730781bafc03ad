# No declaration: a Linear first ([b, 100], or any leading dims): the second Linear's count
# differs from the first's output whatever the input, an error.
# torch: Net().eval()(torch.randn(2, 100))
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(100, 64), nn.ReLU(), nn.Linear(65, 10))  # expect: SHP102 "65 input features"

    def forward(self, x):
        return self.net(x)
