"""Training entry point: builds the model and checks it on one batch."""
import torch

from unet import UNet


def build(classes=2):
    return UNet(n_channels=3, n_classes=classes, bilinear=False)


if __name__ == "__main__":
    net = UNet(n_channels=3, n_classes=2, bilinear=False)
    logits = net(torch.randn(1, 3, 64, 64))
    print(logits.shape)
