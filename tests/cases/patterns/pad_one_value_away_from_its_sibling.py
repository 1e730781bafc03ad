# A 1-D generator that pads by reflection before each kernel 7 convolution without padding.
# The first pad was written 2 where the other pads 3: the output is two samples short. That pad
# differs from its sibling in that value only: the diagnostic goes there, not to the
# convolution that could absorb the loss (unsafe: a guess, with the model's pattern as evidence).
# args: --unsafe-fixes
# torch: Generator()(torch.randn(1, 16, 12))
import torch
import torch.nn as nn


class Generator(nn.Module):  # shapelint: input=(1, 16, 12) output=(1, 1, 48)
    def __init__(self, ngf=8):
        super().__init__()
        self.model = nn.Sequential(
            nn.ReflectionPad1d(2),  # expect: SHP101 "model.0 (ReflectionPad1d) with padding=3"
            nn.Conv1d(16, ngf, kernel_size=7, padding=0),
            nn.LeakyReLU(0.2),
            nn.ConvTranspose1d(ngf, ngf, kernel_size=8, stride=4, padding=2),
            nn.LeakyReLU(0.2),
            nn.ReflectionPad1d(3),
            nn.Conv1d(ngf, 1, kernel_size=7, padding=0),
            nn.Tanh(),
        )

    def forward(self, x):
        return self.model(x)
