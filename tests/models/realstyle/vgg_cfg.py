"""A VGG-style network built from a module-level configuration list (channel counts and
``'M'`` for max pooling), and a classifier on ``64 * 4 * 4`` features."""

import torch
import torch.nn as nn

CFG = [16, "M", 32, 32, "M", 64, "M"]


def make_layers(cfg, in_channels=3):
    layers = []
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            layers += [nn.Conv2d(in_channels, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):  # shapelint: input=(2, 3, 32, 32) output=(2, 10)
    def __init__(self, num_classes=10):
        super(VGG, self).__init__()
        self.features = make_layers(CFG)
        self.classifier = nn.Sequential(
            nn.Linear(64 * 4 * 4, 128),
            nn.ReLU(True),
            nn.Dropout(),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return self.classifier(x)
