# A Linear whose in_features is an expression of the hidden sizes: the fix changes the factor,
# never the whole expression into a literal.
# args: --input VAE=1,512,2,2
# torch: VAE()(torch.randn(1, 512, 2, 2))
import torch
from torch import nn


class VAE(nn.Module):
    def __init__(self, hidden_dims=(32, 64, 128, 256, 512), latent=16):
        super().__init__()
        self.flat = nn.Flatten()
        self.fc = nn.Linear(hidden_dims[-1] * 4, latent)

    def forward(self, x):
        return self.fc(self.flat(x))
