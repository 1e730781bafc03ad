# The second conv expects 12 channels where the first conv and its BatchNorm agree on 16: the
# second conv's in_channels is the culprit (SHP102 there), not the first conv.
# args: --input Net=1,3,16,16
# torch: Net().eval()(torch.randn(1, 3, 16, 16))
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(12, 32, 3, padding=1)  # expect: SHP102 "in_channels=12"

    def forward(self, x):
        return self.conv2(self.pool(torch.relu(self.bn1(self.conv1(x)))))
