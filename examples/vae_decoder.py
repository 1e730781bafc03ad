"""A VAE decoder: Linear, then .view into feature maps, then transposed convolutions.

Declaration style: an example input already in the file (under `if __name__ == "__main__":`),
so shapelint checks it with no annotation at all.
"""

import torch
import torch.nn.functional as F
from torch import nn

LATENT = 32


class Decoder(nn.Module):
    def __init__(self, latent_dim=LATENT, base=32):
        super().__init__()
        self.base = base
        self.fc = nn.Linear(latent_dim, base * 4 * 4 * 4)
        self.deconv1 = nn.ConvTranspose2d(base * 4, base * 2, 4, stride=2, padding=1)
        self.deconv2 = nn.ConvTranspose2d(base * 2, base, 4, stride=2, padding=1)
        self.deconv3 = nn.ConvTranspose2d(base, 1, 4, stride=2, padding=1)

    def forward(self, z):
        x = self.fc(z)
        x = x.view(-1, self.base * 4, 4, 4)
        x = F.relu(self.deconv1(x))
        x = F.relu(self.deconv2(x))
        return torch.sigmoid(self.deconv3(x))


if __name__ == "__main__":
    out = Decoder()(torch.randn(2, LATENT))
    print(out.shape)  # torch.Size([2, 1, 32, 32])
