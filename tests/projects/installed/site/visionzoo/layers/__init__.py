from .conv_bn import ConvBnAct, conv3x3
from .pooling import *
from .helpers import make_divisible, to_2tuple
