# `make_layers(cfg, in_channels=4)` whose loop rebinds `in_channels` after each Conv2d: the first
# layer reads the default, so the fix edits the default (the call passes none), re-analysed.
# args: --unsafe-fixes
# torch: VGG()(torch.randn(2, 3, 16, 16))
import torch
import torch.nn as nn

CFG = [8, "M", 16, "M"]


def make_layers(cfg, in_channels=4):  # expect: SHP102 "expects 4 input channels" "3 arrive"
    layers = []
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            layers += [nn.Conv2d(in_channels, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):  # shapelint: input=(2, 3, 16, 16) output=(2, 10)
    def __init__(self):
        super().__init__()
        self.features = make_layers(CFG)
        self.classifier = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))
