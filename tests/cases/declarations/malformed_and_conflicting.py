# A malformed pragma and a malformed jaxtyping string (SHP002, where each is written), and a
# pragma and an annotation that disagree (SHP003). The pragma wins: the 3 channels it declares
# fit the convolution, so there is no SHP102.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from jaxtyping import Float

class A(nn.Module):  # shapelint: input=(2, 3, 32  # expect: SHP002
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x: Float[Tensor, "b, 3, h, w"]):  # expect: SHP002
        return self.conv(x)

# shapelint: input=(2, 3, 32, 32)
class B(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x: Float[Tensor, "b 4 h w"]):  # expect: SHP003
        return self.conv(x)
