# A block whose parameter has a default: the instance that takes the default where it should
# not gets the diagnostic on its call (there is no argument to point at); the instance that
# passes the right value gets nothing.
# torch: Net().eval()(torch.randn(2, 16))
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, width, hidden=32):
        super().__init__()
        self.inner = nn.Linear(width, 8)
        self.outer = nn.Linear(hidden, width)

    def forward(self, x):
        return self.outer(torch.relu(self.inner(x)))


# shapelint: input=(2, 16)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Block(16, hidden=8)
        self.second = Block(16)  # expect: SHP102:23 "in_features=32" "8 arrive" "in `second.outer` (`Block`, line 13)"

    def forward(self, x):
        return self.second(self.first(x))
