# No transposed convolution maps 160 to 224 (a factor 1.4): the diagnostic says so and recommends
# resizing, with no fix, on the layer to replace.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from jaxtyping import Float

class Upsampler(nn.Module):
    def __init__(self, channels: int = 4):
        super().__init__()
        self.up = nn.ConvTranspose3d(channels, channels, kernel_size=(3, 4, 4), stride=(1, 2, 2), padding=(1, 1, 1))  # expect: SHP101:19 "1.4" "declared at"

    def forward(self, x: Float[Tensor, "1 4 16 160 160"]) -> Float[Tensor, "1 4 16 224 224"]:
        return self.up(x)
