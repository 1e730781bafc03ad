# Linear(16 * 4 * 4) after Flatten, where the last conv makes 15 channels: the conv's count is
# the one the Linear's expression (and the model elsewhere) contradicts, so the conv is edited
# (unsafe: nothing but roundness and the Linear tell the sides apart).
# args: --input Net=2,1,16,16 --unsafe-fixes
# torch: Net().eval()(torch.randn(2, 1, 16, 16))
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 15, 3, padding=1),  # expect: SHP102 "out_channels=16"
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 4 * 4, 10),
        )

    def forward(self, x):
        return self.body(x)
