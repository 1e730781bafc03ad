# A subclass of nn.Conv3d that fixes its kernel: a wrong in_channels passed to it is reported at
# the argument of the call that passes it (the class is reusable), naming the layer's line.
# args: --input Net=1,3,8,16,16
import torch
from torch import nn


class Conv3DSimple(nn.Conv3d):
    def __init__(self, in_planes, out_planes, stride=1):
        super().__init__(in_channels=in_planes, out_channels=out_planes, kernel_size=(3, 3, 3),
                         stride=stride, padding=1, bias=False)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = Conv3DSimple(3, 16, stride=2)
        self.layer = Conv3DSimple(8, 16)  # expect: SHP102:35 "in_channels=8" "16 arrive" "in `layer` (`Conv3DSimple`"

    def forward(self, x):
        return self.layer(self.stem(x))
