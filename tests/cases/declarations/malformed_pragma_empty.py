# A malformed pragma (no key at all) is SHP002 on its line;
# nothing else is reported (the model is correct).
import torch
from torch import nn


class Net(nn.Module):  # shapelint:  # expect: SHP002
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 16 * 16, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv(x)))
        return self.fc(x.flatten(1))
