# Recurrent layers whose sizes are constructor parameters with no value: nothing is reported.
import torch
import torch.nn as nn
from torch import Tensor

class Net(nn.Module):
    def __init__(self, features, hidden=64, bidirectional=False):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, bidirectional=bidirectional, batch_first=True)
        self.fc = nn.Linear(hidden * (2 if bidirectional else 1), 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out)
