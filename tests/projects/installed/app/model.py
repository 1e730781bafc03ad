"""Classifiers built on an installed backbone library (visionzoo, under ../site)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

import numberkit
import visionzoo
from visionzoo.layers import ConvBnAct
from visionzoo.models import resnet10, resnet26


class FeatureClassifier(nn.Module):
    """A backbone without its head, its features through a new neck and head."""

    def __init__(self, num_classes=5, hidden=128):
        super().__init__()
        self.backbone = resnet10(num_classes=0)
        self.neck = ConvBnAct(512, hidden, kernel_size=1)
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = self.backbone.forward_features(x)
        x = self.neck(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.head(x)


class ZooClassifier(nn.Module):
    """A whole zoo model, then a projection."""

    def __init__(self, num_classes=10, embed=32):
        super().__init__()
        self.net = visionzoo.models.vgg_small(num_classes=num_classes, batch_norm=True)
        self.proj = nn.Linear(num_classes, embed)

    def forward(self, x):
        return self.proj(torch.relu(self.net(x)))


class BottleneckClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = resnet26(num_classes=7, global_pool="avgmax")

    def forward(self, x):
        return self.body(x)


class ScaledHead(nn.Module):
    """Its head's width comes from a package that is not followed: unknown from there on."""

    def __init__(self):
        super().__init__()
        self.backbone = resnet10(num_classes=8)
        self.head = nn.Linear(8, numberkit.double(8))

    def forward(self, x):
        return self.head(self.backbone(x))
