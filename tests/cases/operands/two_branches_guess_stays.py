# Both sides of the sum have a layer (a 3x3 convolution without padding against a 2x2 average
# pooling of stride 1), and neither breaks a pattern of the model: which one is wrong is a guess,
# so the SHP106 stays at the sum and any fix is unsafe (CONTRACT 6).
# args: --input Net=1,8,16,16
# torch: Net().eval()(torch.randn(1, 8, 16, 16))
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Conv2d(8, 8, 3)
        self.skip = nn.AvgPool2d(2, stride=1)

    def forward(self, x):
        return self.main(x) + self.skip(x)  # expect: SHP106
