# A conv's out_channels (15) disagrees with the BatchNorm and the next conv (both 16): the conv
# is the culprit, so SHP102 goes on its out_channels, with a safe fix there; the later layers
# are left alone (one diagnostic: the fix repairs both).
# args: --input Net=1,3,16,16
# torch: Net().eval()(torch.randn(1, 3, 16, 16))
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
        )

    def forward(self, x):
        return self.features(x)
