# The first convolution's kernel slipped 3 -> 2. The bottleneck's stride 1 differs from the other
# convolutions' stride 2, but so does its kernel 7: it is a layer of another kind, not a slip, so
# giving it stride 2 (which also gives the declared output) is no fix. The first convolution
# differs from the second in its kernel only: kernel 3 makes it a copy, the likely culprit (one
# sibling is thin evidence: unsafe).
# torch: ConvAutoencoder()(torch.randn(8, 1, 28, 28))
import torch
import torch.nn as nn


class ConvAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 8, 2, stride=2, padding=1),  # expect: SHP101 "encoder.0 (Conv2d) with kernel_size=3"
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 7),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 7),
            nn.ReLU(),
            nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),  # expect: SHP201
            nn.ReLU(),
            nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1),  # expect: SHP201
            nn.Sigmoid(),
        )

    def forward(self, x):  # shapelint: input=(8, 1, 28, 28) output=(8, 1, 28, 28)
        return self.decoder(self.encoder(x))
