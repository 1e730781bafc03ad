# A size constant that slipped (N_MELS = 31) where the layers were written for it: the constant
# is edited to the nearest value that makes the expression give the count that arrives.
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
        self.fc = nn.Linear(32 * (N_MELS // 4) * (N_FRAMES // 4), 6)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))
