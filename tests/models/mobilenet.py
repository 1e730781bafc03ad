"""A MobileNet-style classifier: depthwise-separable convolutions (``groups``), GroupNorm, then
the 8 x 8 feature map as 64 tokens through a small MLP token mixer with LayerNorm on
(batch, tokens, dim), global average pooling and a Linear head.

Declarations: ``typing.Annotated`` on forward.
"""

from typing import Annotated

import torch
from torch import Tensor, nn


class DepthwiseSeparable(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int = 1):
        super().__init__()
        self.depthwise = nn.Conv2d(in_ch, in_ch, kernel_size=3, stride=stride, padding=1,
                                   groups=in_ch, bias=False)
        self.pointwise = nn.Conv2d(in_ch, out_ch, kernel_size=1, bias=False)
        self.norm = nn.GroupNorm(num_groups=4, num_channels=out_ch)
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x):
        return self.act(self.norm(self.pointwise(self.depthwise(x))))


class TokenMixer(nn.Module):
    def __init__(self, dim: int = 32, hidden: int = 64):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(self.norm(x))))


class MobileNetTiny(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU6(inplace=True),
        )
        self.blocks = nn.Sequential(
            DepthwiseSeparable(16, 32, stride=2),
            DepthwiseSeparable(32, 32),
        )
        self.mixer = TokenMixer(32, 64)
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.head = nn.Linear(32, num_classes)

    def forward(self, x: Annotated[Tensor, "b 3 32 32"]) -> Annotated[Tensor, "b 10"]:
        x = self.blocks(self.stem(x))
        x = x.flatten(2).transpose(1, 2)
        x = self.mixer(x)
        x = self.pool(x.transpose(1, 2)).squeeze(-1)
        return self.head(x)
