# A VGG-style network built by a loop over a configuration list, whose pooling is written
# kernel_size=3, stride=2 where 2 was meant: the classifier's `64 * 4 * 4` no longer matches.
# No small change of the Linear's own literals gives the count that arrives; one literal of the
# loop's pooling, which every pooling repeats, does: the diagnostic goes there (unsafe: which
# layer slipped is a guess).
# args: --unsafe-fixes
# torch: VGG()(torch.randn(2, 3, 32, 32))
import torch
import torch.nn as nn

CFG = [16, "M", 32, "M", 64, "M"]


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
        super().__init__()
        self.features = make_layers(CFG)
        self.classifier = nn.Linear(64 * 4 * 4, num_classes)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(torch.flatten(x, 1))
