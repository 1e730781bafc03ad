# `Linear(128 * 7 * 7, ...)` where 128 * 3 * 3 features arrive (a stride that slipped upstream):
# no single literal of the expression gives 1152, so the fix is the upstream change that makes
# the count arrive as written (unsafe: which layer slipped is a guess).
# args: --unsafe-fixes
# torch: Net()(torch.randn(4, 1, 28, 28))
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):  # shapelint: input=(4, 1, 28, 28) output=(4, 10)
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 2, padding=1)  # expect: SHP102 "6272 input features" "1152 arrive"
        self.conv2 = nn.Conv2d(32, 128, 3, 1, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(128 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc1(torch.flatten(x, 1))
