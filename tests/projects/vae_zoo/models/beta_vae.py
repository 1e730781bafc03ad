import torch
from torch import nn

from .base import BaseVAE
from .types_ import *


class BetaVAE(BaseVAE):
    num_iter = 0

    def __init__(self, in_channels: int, latent_dim: int, hidden_dims: List = None, beta: int = 4,
                 **kwargs) -> None:
        super(BetaVAE, self).__init__()
        self.latent_dim = latent_dim
        self.beta = beta
        if hidden_dims is None:
            hidden_dims = [32, 64, 128]
        layers = []
        for h_dim in hidden_dims:
            layers += [nn.Conv2d(in_channels, h_dim, 4, 2, 1), nn.ReLU()]
            in_channels = h_dim
        self.encoder = nn.Sequential(*layers)
        self.fc_mu = nn.Linear(hidden_dims[-1] * 16, latent_dim)
        self.fc_var = nn.Linear(hidden_dims[-1] * 16, latent_dim)
        self.decoder_input = nn.Linear(latent_dim, hidden_dims[-1] * 16)
        layers = []
        for a, b in zip(hidden_dims[::-1], hidden_dims[::-1][1:] + [3]):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1), nn.ReLU()]
        self.decoder = nn.Sequential(*layers[:-1])
        self.last = hidden_dims[-1]

    def forward(self, input: Tensor, **kwargs) -> List[Tensor]:
        h = torch.flatten(self.encoder(input), start_dim=1)
        mu, log_var = self.fc_mu(h), self.fc_var(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * log_var)
        out = self.decoder(self.decoder_input(z).view(-1, self.last, 4, 4))
        return [out, input, mu, log_var]
