# The layer built in the construction's arguments is itself at fault: reported at its own
# place, the construction's line.
# args: --input Wrapper=2,10
import torch
import torch.nn as nn


class Wrapper(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body
        self.fc = nn.Linear(12, 4)

    def forward(self, x):
        return self.fc(self.body(x))


model = Wrapper(nn.Linear(10, 12))
