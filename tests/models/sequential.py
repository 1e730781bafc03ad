"""Models written as module-level ``nn.Sequential`` expressions (LeNet-like encoder, a small MLP).

Declarations: a pragma above ``encoder`` and a per-layer pragma on its first pooling layer;
``mlp`` is declared in pyproject.toml (``[tool.shapelint.inputs]`` / ``[tool.shapelint.outputs]``).
"""

import torch
from torch import nn

# shapelint: input=(4, 1, 28, 28) output=(4, 10)
encoder = nn.Sequential(
    nn.Conv2d(1, 8, kernel_size=5),
    nn.ReLU(),
    nn.MaxPool2d(2),  # shapelint: output=(4, 8, 12, 12)
    nn.Conv2d(8, 16, kernel_size=5),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(16 * 4 * 4, 10),
)

mlp = nn.Sequential(
    nn.Linear(10, 32),
    nn.LayerNorm(32),
    nn.GELU(),
    nn.Linear(32, 4),
)
