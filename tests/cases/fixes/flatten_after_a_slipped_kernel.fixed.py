# A convolution written with kernel 4 where its padding 1 says 3: the Linear after the Flatten
# sees the wrong count, and the fix undoes the slip rather than changing `32 * 8 * 8` (unsafe:
# which layer upstream slipped is a guess).
# args: --input Net=1,3,32,32 --unsafe-fixes
# torch: Net()(torch.randn(1, 3, 32, 32))
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(32 * 8 * 8, 10))

    def forward(self, x):
        return self.fc(self.features(x))
