# Parameters PyTorch rejects whatever the input: found with no declared input.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.same = nn.Conv2d(3, 8, 3, stride=2, padding="same")  # expect: SHP103
        self.groups = nn.Conv2d(6, 8, 3, groups=4)  # expect: SHP103
        self.up = nn.ConvTranspose2d(8, 8, 3, stride=2, output_padding=2)  # expect: SHP103 SHP201

    def forward(self, x):
        return self.up(self.groups(self.same(x)))
