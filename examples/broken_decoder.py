"""A decoder with two classic mistakes; `shapelint check --fix examples/` repairs both.

- the second ConvTranspose2d has kernel_size=3 with stride 2: 16 -> 33, not 32;
- the BatchNorm2d after it counts the wrong number of channels.

Declaration style: a module-level `nn.Sequential` with a pragma above it.
"""

from torch import nn

# shapelint: input=(4, 128, 8, 8) output=(4, 3, 64, 64)
decoder = nn.Sequential(
    nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1),  # 8 -> 16
    nn.BatchNorm2d(64),
    nn.ReLU(inplace=True),
    nn.ConvTranspose2d(64, 32, kernel_size=3, stride=2, padding=1),  # 16 -> 32? No: 31
    nn.BatchNorm2d(23),
    nn.ReLU(inplace=True),
    nn.ConvTranspose2d(32, 3, kernel_size=4, stride=2, padding=1),  # 32 -> 64
    nn.Sigmoid(),
)
