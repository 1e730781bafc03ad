# Counts that are a width times powers of two (6, 12, 24), but one producer makes `width * 3`
# (18) where the next layer expects `width * 4` (24). Either side's edit leaves as few errors;
# 18 is the count off the model's pattern, so the producer is the likelier slip (unsafe: a guess).
# args: --input Net=1,3,32,32 --unsafe-fixes
# torch: Net().eval()(torch.randn(1, 3, 32, 32))
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, width=6):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, width * 2, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(width * 2, width * 3, 3, stride=2, padding=1),  # expect: SHP102 "features.4 (Conv2d) with out_channels=24"
            nn.ReLU(),
            nn.Conv2d(width * 4, width * 2, 3, padding=1),
        )

    def forward(self, x):
        return self.features(x)
