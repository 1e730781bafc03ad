# The last layer's `out_channels=0`: the fix is the declared output's channel count (1).
# args: --unsafe-fixes
# torch: Net()(torch.randn(1, 4, 20))
import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(1, 4, 20) output=(1, 1, 20)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 16, 3, padding=1)
        self.post = nn.Conv1d(16, 0, 7, padding=3)  # expect: SHP103 "out_channels must be positive"

    def forward(self, x):
        return torch.tanh(self.post(torch.relu(self.conv(x))))
