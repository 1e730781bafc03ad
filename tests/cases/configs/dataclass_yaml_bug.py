# The classifier of dataclass_yaml.py with a bug: its first Linear counts the features of the
# second-to-last block (cfg.widths[-2], 16 from the YAML file) where 32 arrive.
# torch: Classifier(Settings())(torch.randn(2, 1, 28, 28))
import types
from dataclasses import dataclass, field
from typing import NamedTuple, Tuple

import torch
import torch.nn as nn
import yaml

with open("encoder_settings.yaml") as f:
    settings = yaml.safe_load(f)


class Head(NamedTuple):
    hidden: int = 64
    dropout: float = 0.1


@dataclass
class Settings:
    in_channels: int = settings["encoder"]["in_channels"]
    widths: Tuple[int, ...] = tuple(settings["encoder"]["widths"])
    kernel: int = settings["encoder"]["kernel"]
    head: Head = Head()
    classes: list = field(default_factory=lambda: [settings["head"]["classes"]])


norm = types.SimpleNamespace(groups=4, eps=1e-5)


class Classifier(nn.Module):
    def __init__(self, cfg: Settings):
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(
                nn.Conv2d(cin, cout, cfg.kernel, padding=cfg.kernel // 2),
                nn.GroupNorm(norm.groups, cout, eps=norm.eps),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )

        widths = (cfg.in_channels,) + cfg.widths
        self.features = nn.Sequential(*[block(a, b) for a, b in zip(widths, widths[1:])])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(cfg.widths[-2], cfg.head.hidden),  # expect: SHP102 "32 arrive"
            nn.Dropout(cfg.head.dropout),
            nn.Linear(cfg.head.hidden, cfg.classes[0]),
        )

    def forward(self, x):
        x = self.pool(self.features(x)).flatten(1)
        return self.fc(x)


if __name__ == "__main__":
    print(Classifier(Settings())(torch.randn(2, 1, 28, 28)).shape)
