# A layer built in the construction's arguments (`Wrapper(nn.Linear(8, 12))`) feeds the
# class's own layer: the mismatch is reported, and fixed, on the class's layer.
# args: --input Wrapper=2,8 --unsafe-fixes
import torch
import torch.nn as nn


class Wrapper(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body
        self.fc = nn.Linear(12, 4)

    def forward(self, x):
        return self.fc(self.body(x))


model = Wrapper(nn.Linear(8, 12))
