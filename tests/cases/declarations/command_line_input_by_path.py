# `--input path.py::Net=...` declares the model of that file.
# args: --input declarations/command_line_input_by_path.py::Net=1,4,8,8
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)  # expect: SHP102

    def forward(self, x):
        return self.conv(x)
