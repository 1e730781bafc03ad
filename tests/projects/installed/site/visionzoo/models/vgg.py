"""VGG-style networks from a configuration of channel counts and pools."""
from typing import List, Union

from torch import nn

from ._registry import register_model

__all__ = ["VGG", "vgg_small"]

cfgs = {
    "small": [32, "M", 64, "M", 128, 128, "M"],
    "medium": [64, 64, "M", 128, 128, "M", 256, 256, "M"],
}


def make_layers(cfg: List[Union[str, int]], batch_norm: bool = False) -> nn.Sequential:
    layers: List[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
            if batch_norm:
                layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            else:
                layers += [conv2d, nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, features, num_classes=1000, pool_size=4):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((pool_size, pool_size))
        self.classifier = nn.Sequential(
            nn.Linear(128 * pool_size * pool_size, 256),
            nn.ReLU(True),
            nn.Dropout(0.5),
            nn.Linear(256, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = x.flatten(1)
        return self.classifier(x)


@register_model
def vgg_small(batch_norm=False, **kwargs):
    return VGG(make_layers(cfgs["small"], batch_norm=batch_norm), **kwargs)
