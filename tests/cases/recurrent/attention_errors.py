# Attention layers: heads that do not divide the embedding (SHP103), and an embedding or a
# d_model other than the features that reach it (SHP102).
import torch
import torch.nn as nn
from torch import Tensor

# shapelint: input=(2, 5, 16)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bad_heads = nn.MultiheadAttention(16, 3)  # expect: SHP103
        self.attn = nn.MultiheadAttention(12, 4, batch_first=True)  # expect: SHP102
        self.enc = nn.TransformerEncoderLayer(d_model=24, nhead=4, batch_first=True)  # expect: SHP102

    def forward(self, x):
        y, _ = self.attn(x, x, x)
        return self.enc(x)
