# init(...) declares a model's construction: on a layer's line it builds nothing, SHP002.
# args: --input Net=1,3,8,8
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)  # shapelint: init(3, 4)  # expect: SHP002 "belongs on a model class"

    def forward(self, x):
        return self.conv(x)
