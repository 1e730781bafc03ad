"""An FCN-style segmentation net: a backbone of three stride-2 stages (1/8 resolution), a 1x1
classifier and a learned 16x16 transposed convolution with stride 8 back to full size."""

import torch
import torch.nn as nn


def conv_bn_relu(in_ch, out_ch, stride):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class FCN8(nn.Module):  # shapelint: input=(1, 3, 64, 64) output=(1, 5, 64, 64)
    def __init__(self, n_classes=5):
        super().__init__()
        self.backbone = nn.Sequential(
            conv_bn_relu(3, 8, 2),
            conv_bn_relu(8, 16, 2),
            conv_bn_relu(16, 32, 2),
        )
        self.classifier = nn.Conv2d(32, n_classes, kernel_size=1)
        self.upscore = nn.ConvTranspose2d(n_classes, n_classes, 16, stride=8, padding=4, bias=False)

    def forward(self, x):
        return self.upscore(self.classifier(self.backbone(x)))
