# An LSTM's input_size differs from the features that reach it: SHP102 on the line of its
# input_size argument (the call spans two lines). The fix edits the positional input_size (torch
# declares LSTM(*args, **kwargs): the layer table's own argument list places it), and PyTorch
# then runs the model.
# torch: Encoder().eval()(torch.randn(4, 20, 32))
import torch
import torch.nn as nn
from torch import Tensor

# shapelint: input=(4, 20, 32)
class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(32, 48)
        self.lstm = nn.LSTM(
            48, 128, batch_first=True)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        out, (h, c) = self.lstm(self.proj(x))
        return self.head(out[:, -1])
