# A block made by a factory function (`conv_bn_relu(in_ch, out_ch, stride)`, called three
# times): the fix changes the argument of the call that built the failing layer.
# args: --unsafe-fixes
# torch: FCN()(torch.randn(1, 3, 32, 32))
import torch
import torch.nn as nn


def conv_bn_relu(in_ch, out_ch, stride):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class FCN(nn.Module):  # shapelint: input=(1, 3, 32, 32) output=(1, 32, 4, 4)
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(
            conv_bn_relu(3, 8, 2),
            conv_bn_relu(8, 16, 2),
            conv_bn_relu(16, 32, 2),
        )

    def forward(self, x):
        return self.backbone(x)
