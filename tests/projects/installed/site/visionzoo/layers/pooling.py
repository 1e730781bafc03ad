import torch
from torch import nn
import torch.nn.functional as F


def adaptive_avgmax_pool2d(x, output_size=1):
    return 0.5 * (F.adaptive_avg_pool2d(x, output_size) + F.adaptive_max_pool2d(x, output_size))


class AdaptiveAvgMaxPool2d(nn.Module):
    def __init__(self, output_size=1):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return adaptive_avgmax_pool2d(x, self.output_size)


class SelectAdaptivePool2d(nn.Module):
    """Global pooling of a chosen type, flattened or not."""

    def __init__(self, pool_type="avg", flatten=False):
        super().__init__()
        if pool_type == "avgmax":
            self.pool = AdaptiveAvgMaxPool2d(1)
        else:
            self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1) if flatten else nn.Identity()

    def forward(self, x):
        return self.flatten(self.pool(x))
