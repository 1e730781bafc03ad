# A 3-D decoder of two transposed convolutions that keep the depth and double height and width.
# The first one's depth kernel was written 2 with padding 0: it grows the depth by one, and the
# output misses its declaration. Its depth kernel back to 1 gives it its usual form again
# (kernel - stride == 2 * padding), which is better evidence than the value of its one
# sibling, so the diagnostic goes to the first layer (unsafe: a guess).
# args: --unsafe-fixes
# torch: Decoder()(torch.randn(2, 8, 2, 10, 10))
import torch
import torch.nn as nn


class Decoder(nn.Module):  # shapelint: input=(2, 8, 2, 10, 10) output=(2, 2, 2, 40, 40)
    def __init__(self):
        super().__init__()
        self.up1 = nn.ConvTranspose3d(8, 16, kernel_size=(1, 4, 4), stride=(1, 2, 2), padding=(0, 1, 1))
        self.up2 = nn.ConvTranspose3d(16, 8, kernel_size=(3, 4, 4), stride=(1, 2, 2), padding=(1, 1, 1))
        self.head = nn.Conv3d(8, 2, kernel_size=3, padding=1)

    def forward(self, x):
        return self.head(torch.relu(self.up2(torch.relu(self.up1(x)))))
