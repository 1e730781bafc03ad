# output_padding must be smaller than stride (or dilation): PyTorch rejects this layer when
# called. Kernel 4 / stride 2 / padding 1 is otherwise the textbook 2x upsampler (no SHP201/SHP202).
# Shared: the end-to-end tests of the command and of the flake8 plugin run on this file.
from torch import nn


class Up(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(8, 8, kernel_size=4, stride=2, padding=1, output_padding=2)  # expect: SHP103

    def forward(self, x):
        return self.up(x)
