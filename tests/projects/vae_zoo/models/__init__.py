from .base import *
from .vanilla_vae import *
from .beta_vae import *

VAE = VanillaVAE

vae_models = {"VanillaVAE": VanillaVAE, "BetaVAE": BetaVAE}
