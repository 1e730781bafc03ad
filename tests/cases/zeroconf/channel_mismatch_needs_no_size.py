# No declaration: a channel count that differs is an error whatever the input size ([b, 80, t]).
# torch: Net().eval()(torch.randn(1, 80, 50))
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(80, 32, 3)
        self.b = nn.Conv1d(31, 32, 3)  # expect: SHP102 "31 input channels" "32 arrive"

    def forward(self, x):
        return self.b(self.a(x))
