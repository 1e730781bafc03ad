# Transposed convolutions: a kernel not a multiple of the stride (SHP201) and padding that crops
# more than the kernel covers (SHP202).
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

up = nn.Sequential(
    nn.ConvTranspose2d(4, 4, kernel_size=3, stride=2),  # expect: SHP201
    nn.ConvTranspose2d(4, 4, kernel_size=4, stride=2, padding=5),  # expect: SHP202
)
