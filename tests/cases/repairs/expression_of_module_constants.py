# `Linear(32 * (N_MELS // 4) * (N_FRAMES // 4), ...)`: the constants' values are known, so a
# literal of the expression is what changes (31 -> 32), the expression kept as written.
# args: --unsafe-fixes
# torch: Net()(torch.randn(2, 1, 32, 100))
import torch
import torch.nn as nn

N_MELS = 32
N_FRAMES = 100


class Net(nn.Module):  # shapelint: input=(2, 1, 32, 100) output=(2, 6)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 32, 3, stride=4, padding=1)
        self.fc = nn.Linear(31 * (N_MELS // 4) * (N_FRAMES // 4), 6)  # expect: SHP102 "6400 arrive"

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))
