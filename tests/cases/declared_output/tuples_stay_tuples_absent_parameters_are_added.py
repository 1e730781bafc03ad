# The fix keeps per-dimension tuples as tuples and adds the parameter the call lacks.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

# shapelint: input=(1, 2, 10, 12) output=(1, 2, 20, 12)
up = nn.Sequential(nn.ConvTranspose2d(2, 2, (4, 1), padding=(1, 0)))  # expect: SHP101
