# A block whose every instance fails alike is itself at fault: the diagnostic stays in the
# block, on the expression it computes (`width * 2`), not on the values its callers pass.
# torch: Net().eval()(torch.randn(1, 8, 16, 16))
import torch
from torch import nn


class Conv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


class Stage(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.a = Conv(width, width)
        self.b = Conv(width * 2, width)  # expect: SHP102 "in_channels=16" "in `blocks.0.b.conv` (`Conv`, line 11)"

    def forward(self, x):
        return self.b(self.a(x))


# shapelint: input=(1, 8, 16, 16)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList()
        for w in (8, 8):
            self.blocks.append(Stage(w))

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x
