# A model's output misses its declaration and no layer can be changed to fix it: the
# diagnostic sits on forward's `return`, the declaration a related location.
import torch
from torch import nn


# shapelint: input=(2, 3, 4, 4) output=(2, 24)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.ReLU()

    def forward(self, x):
        x = self.act(x)
        return torch.flatten(x, 1)  # expect: SHP101:9 "declared at"
