import torch

from unet.unet_model import UNet


def test_bilinear_keeps_the_size():
    model = UNet(3, 4, bilinear=True)
    out = model(torch.zeros(1, 3, 48, 48))
    assert out.shape == (1, 4, 48, 48)
