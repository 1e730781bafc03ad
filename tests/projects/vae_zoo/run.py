"""Builds each model of the zoo and runs it on one batch."""
import torch

from models import *


def smoke():
    vae = VanillaVAE(in_channels=3, latent_dim=16)
    recons, x, mu, log_var = vae(torch.randn(2, 3, 64, 64))
    beta = BetaVAE(3, 8)
    out = beta(torch.randn(2, 3, 32, 32))
    return recons, out


if __name__ == "__main__":
    smoke()
