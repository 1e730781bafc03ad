import torch

from models import Discriminator, Generator
from options import opt

generator = Generator()
discriminator = Discriminator()

if __name__ == "__main__":
    z = torch.randn(opt.batch_size, opt.latent_dim)
    fake = generator(z)
    validity = discriminator(torch.zeros(opt.batch_size, opt.channels, opt.img_size, opt.img_size))
