# `stride=(0, 2, 2)`: only the 0 changes (to 1, which keeps the declared depth).
# args: --unsafe-fixes
# torch: Net()(torch.randn(1, 8, 2, 5, 5))
import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(1, 8, 2, 5, 5) output=(1, 16, 2, 10, 10)
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose3d(8, 16, kernel_size=(1, 4, 4), stride=(0, 2, 2),  # expect: SHP103 "stride must be positive"
                                     padding=(0, 1, 1))

    def forward(self, x):
        return self.up(x)
