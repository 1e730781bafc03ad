# A 'valid' convolution shortens every length by 2: the declared "b 1 t" output is missed for
# every size, SHP101 with the exact expression, at the layer, whose fix (padding=1) keeps every t.
import torch.nn as nn
from jaxtyping import Float
from torch import Tensor


class Shrink(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 1, 3)  # expect: SHP101 "t - 2" "every size" "padding=1"

    def forward(self, x: Float[Tensor, "b 1 t"]) -> Float[Tensor, "b 1 t"]:
        return self.conv(x)
