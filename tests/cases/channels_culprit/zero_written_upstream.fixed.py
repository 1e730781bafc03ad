# A pooling written with output size 0 (meant 1) leaves 0 features for the Linear after it. No
# model means a size of 0: the pooling is the culprit, and the fix sets its size back to 1.
# args: --input Net=2,8,20 --unsafe-fixes
# torch: Net().eval()(torch.randn(2, 8, 20))
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(8, 16, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        return self.head(self.pool(self.conv(x)).flatten(1))
