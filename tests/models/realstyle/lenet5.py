"""LeNet-5 on 32x32 inputs: two 5x5 convolutions with 2x2 max pooling, then
``Linear(16 * 5 * 5, 120)``, 84 and 10 features."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):  # shapelint: output=(2, 10)
    def __init__(self, num_classes=10):
        super(LeNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


if __name__ == "__main__":
    net = LeNet()
    print(net(torch.randn(2, 1, 32, 32)).shape)
