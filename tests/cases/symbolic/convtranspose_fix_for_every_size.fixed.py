# A transposed convolution meant to double every size gives 2*h - 1: SHP101 for every size, at
# the layer (the only one that can change the size), with a fix that doubles every h and w.
import torch.nn as nn
from jaxtyping import Float
from torch import Tensor


class Up(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(16, 16, 4, stride=2, padding=1)

    def forward(self, x: Float[Tensor, "b 16 h w"]) -> Float[Tensor, "b 16 2*h 2*w"]:
        return self.up(x)
