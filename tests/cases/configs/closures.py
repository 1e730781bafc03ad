# An ESRGAN-style network: blocks made by functools.partial over the constructor's arguments and
# repeated by a helper, convolutions made by functions nested in __init__ (closures over nf, gc).
# args: --input RRDBNet=1,3,12,12
# torch: RRDBNet()(torch.randn(1, 3, 12, 12))
import functools

import torch
import torch.nn as nn


def make_layer(block, n_layers):
    layers = []
    for _ in range(n_layers):
        layers.append(block())
    return nn.Sequential(*layers)


class ResidualDenseBlock(nn.Module):
    def __init__(self, nf=16, gc=8, bias=True):
        super().__init__()

        def conv(i, out=None):
            return nn.Conv2d(nf + i * gc, gc if out is None else out, 3, 1, 1, bias=bias)

        self.conv1 = conv(0)
        self.conv2 = conv(1)
        self.conv3 = conv(2, nf)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x):
        x1 = self.lrelu(self.conv1(x))
        x2 = self.lrelu(self.conv2(torch.cat((x, x1), 1)))
        x3 = self.conv3(torch.cat((x, x1, x2), 1))
        return x3 * 0.2 + x


class RRDB(nn.Module):
    def __init__(self, nf, gc=8):
        super().__init__()
        self.RDB1 = ResidualDenseBlock(nf, gc)
        self.RDB2 = ResidualDenseBlock(nf, gc)

    def forward(self, x):
        return self.RDB2(self.RDB1(x)) * 0.2 + x


class RRDBNet(nn.Module):
    def __init__(self, in_nc=3, out_nc=3, nf=16, nb=2, gc=8):
        super().__init__()
        RRDB_block_f = functools.partial(RRDB, nf=nf, gc=gc)
        self.conv_first = nn.Conv2d(in_nc, nf, 3, 1, 1, bias=True)
        self.RRDB_trunk = make_layer(RRDB_block_f, nb)
        self.trunk_conv = nn.Conv2d(nf, nf, 3, 1, 1, bias=True)
        self.conv_last = nn.Conv2d(nf, out_nc, 3, 1, 1, bias=True)

    def forward(self, x):
        fea = self.conv_first(x)
        fea = fea + self.trunk_conv(self.RRDB_trunk(fea))
        return self.conv_last(fea)
