"""An audio classifier on log-mel spectrograms: convolutions with different kernels, strides and
paddings per axis (frequency x time), then ``Linear(32 * 8 * 25, n_classes)``."""

import torch
import torch.nn as nn

N_MELS = 32
N_FRAMES = 100


class SpectrogramCNN(nn.Module):  # shapelint: input=(2, 1, 32, 100) output=(2, 6)
    def __init__(self, n_classes=6):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=(3, 5), stride=(1, 2), padding=(1, 2))
        self.bn1 = nn.BatchNorm2d(16)
        self.pool1 = nn.MaxPool2d((2, 1))
        self.conv2 = nn.Conv2d(16, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
        self.bn2 = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32 * (N_MELS // 4) * (N_FRAMES // 4), n_classes)

    def forward(self, x):
        x = self.pool1(torch.relu(self.bn1(self.conv1(x))))
        x = torch.relu(self.bn2(self.conv2(x)))
        return self.fc(x.flatten(1))
