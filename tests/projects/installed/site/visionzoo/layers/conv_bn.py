from torch import nn

from .helpers import to_2tuple


def conv3x3(in_chs, out_chs, stride=1, groups=1):
    return nn.Conv2d(in_chs, out_chs, kernel_size=3, stride=stride, padding=1, groups=groups, bias=False)


class ConvBnAct(nn.Module):
    """Convolution, batch norm and an activation, padded to keep the size at stride 1."""

    def __init__(self, in_chs, out_chs, kernel_size=3, stride=1, act_layer=nn.ReLU, apply_act=True):
        super().__init__()
        kernel_size = to_2tuple(kernel_size)
        padding = tuple((k - 1) // 2 for k in kernel_size)
        self.conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(out_chs)
        self.act = act_layer(inplace=True) if apply_act else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))
