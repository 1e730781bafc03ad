# A declared output missed: reported at the layer the fix edits, the message names the layers of
# the chain, and the fix is the smallest change of one layer (a comment on its line survives).
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

# shapelint: input=(4, 128, 8, 8) output=(4, 3, 64, 64)
decoder = nn.Sequential(
    nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1),
    nn.ReLU(inplace=True),
    nn.ConvTranspose2d(64, 32, kernel_size=3, stride=2, padding=1),  # 16 -> 31  # expect: SHP201 SHP101 "[4, 3, 62, 62]" "(4, 3, 64, 64)" "2 (ConvTranspose2d)"
    nn.ReLU(inplace=True),
    nn.ConvTranspose2d(32, 3, kernel_size=4, stride=2, padding=1),
)
