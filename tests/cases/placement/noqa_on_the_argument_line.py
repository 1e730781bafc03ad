# `# noqa` silences a diagnostic on the line where it is reported: the argument's own line in a
# call written over several lines. A `# noqa` on the line where the call starts does not.
# torch: Net().eval()(torch.randn(1, 3, 16, 16))
import torch
from torch import nn


# shapelint: input=(1, 3, 16, 16)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(
            4,  # noqa: SHP102
            8,
            kernel_size=3,
            padding=1,
        )
        self.conv3 = nn.Conv2d(  # noqa: SHP102
            4,  # expect: SHP102:13 "in_channels=4"
            8,
            kernel_size=3,
            padding=1,
        )

    def forward(self, x):
        return self.conv3(self.conv2(self.conv1(x)))
