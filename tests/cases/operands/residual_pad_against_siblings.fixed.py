# x + block(x): only the block's branch has layers, so it is the culprit; in it, a
# ReflectionPad2d(2) where the other pads of the model pad 1 is the slip (not the convolution
# next to it, which could absorb it): SHP106 on the pad's argument, fixed safely there.
# args: --input Net=1,8,8,8
# torch: Net().eval()(torch.randn(1, 8, 8, 8))
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(8, 8, 3),
            nn.ReLU(),
            nn.ReflectionPad2d(1),
            nn.Conv2d(8, 8, 3),
        )

    def forward(self, x):
        return x + self.block(x)
