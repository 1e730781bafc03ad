# The same classifier with its pooling right and the Linear written `128 * 8 * 7`: one literal of
# its own expression moved by one gives the count that arrives, and no slip upstream is smaller,
# so the diagnostic and the fix stay at the Linear, whose `8` goes back to 7.
# args: --unsafe-fixes
# torch: Net()(torch.randn(4, 1, 28, 28))
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):  # shapelint: input=(4, 1, 28, 28) output=(4, 10)
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1, padding=1)
        self.conv2 = nn.Conv2d(32, 128, 3, 1, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(128 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))
