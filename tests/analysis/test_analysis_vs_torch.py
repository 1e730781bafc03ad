"""Models written as source strings: every shape shapelint infers is the one PyTorch's forward
hooks see, and the layer names are exactly ``named_modules()``'s.

Each case is run twice: by shapelint statically (``analyze_source``), and by PyTorch (the source
is exec'd, the model built, forward hooks registered on every named module).
"""

from __future__ import annotations

import textwrap
from typing import Dict, List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from shapelint.analysis import analyze_source  # noqa: E402

HEADER = """\
import math
from collections import OrderedDict
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
"""


def torch_shapes(source: str, build: str, inputs: List[Tuple[int, ...]]):
    namespace: Dict[str, object] = {}
    exec(compile(source, "<model>", "exec"), namespace)
    model = eval(build, namespace)
    seen: Dict[str, Optional[list]] = {}
    hooks = []
    for name, module in model.named_modules():
        def hook(mod, args, output, name=name):
            if name not in seen:
                if isinstance(output, tuple) and output and isinstance(output[0], torch.Tensor):
                    output = output[0]  # LSTM, MultiheadAttention: shapelint records the first
                seen[name] = list(output.shape) if isinstance(output, torch.Tensor) else None
        hooks.append(module.register_forward_hook(hook))
    with torch.no_grad():
        out = model.eval()(*[torch.randn(*s) for s in inputs])
    for h in hooks:
        h.remove()
    names = [n for n, _ in model.named_modules() if n]
    return names, seen, list(out.shape)


def shapelint_model(source: str, name: str):
    result = analyze_source(source, "model.py")
    errors = [d for d in result.diagnostics if d.code.startswith("SHP1") or d.code.startswith("SHP0")]
    assert not errors, [(d.code, d.row, d.message) for d in errors]
    models = {m.name: m for m in result.models}
    assert name in models, sorted(models)
    return models[name]


def compare(body: str, name: str, build: str, inputs, pragma: str = ""):
    source = HEADER + textwrap.dedent(body)
    torch_names, torch_out, final = torch_shapes(source, build, inputs)
    model = shapelint_model(source, name)
    ours = {layer.name: layer for layer in model.layers}
    assert list(ours) == torch_names
    for layer_name in torch_names:
        want = torch_out.get(layer_name)
        if want is None:
            continue
        got = ours[layer_name].output
        assert got is not None and list(got) == want, f"{layer_name}: shapelint {got}, torch {want}"
    assert model.output is not None and list(model.output) == final


CASES = {
    "nested_sequential_ordered_dict": (
        """
        # shapelint: input=(2, 3, 32, 32)
        class Net(nn.Module):
            def __init__(self, width=8):
                super().__init__()
                self.stem = nn.Sequential(OrderedDict([
                    ("conv", nn.Conv2d(3, width, 3, padding=1)),
                    ("bn", nn.BatchNorm2d(width)),
                    ("act", nn.ReLU()),
                ]))
                self.body = nn.Sequential(
                    nn.Sequential(nn.Conv2d(width, width * 2, 3, stride=2, padding=1), nn.ReLU()),
                    nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
                )
                self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width * 2, 5))

            def forward(self, x):
                return self.head(self.body(self.stem(x)))
        """,
        "Net", "Net()", [(2, 3, 32, 32)],
    ),
    "loops_lists_and_helpers": (
        """
        CHANNELS = [3, 8, 16, 32]

        def conv_block(cin, cout, stride=1):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

        # shapelint: input=(1, 3, 40, 40)
        class Net(nn.Module):
            scale = 2

            def __init__(self, channels=CHANNELS):
                super().__init__()
                layers = []
                for cin, cout in zip(channels[:-1], channels[1:]):
                    layers.append(conv_block(cin, cout, stride=self.scale))
                self.features = nn.Sequential(*layers)
                self.blocks = nn.ModuleList([nn.Conv2d(channels[-1], channels[-1], k, padding=k // 2) for k in (1, 3, 5)])
                self.extra = nn.ModuleList()
                for i in range(2):
                    self.extra.append(nn.Conv2d(channels[-1], channels[-1], 3, padding=1))
                self.add_module("last", nn.Conv2d(channels[-1], 4, kernel_size=1))

            def forward(self, x):
                x = self.features(x)
                for block in self.blocks:
                    x = F.relu(block(x))
                for i, layer in enumerate(self.extra):
                    x = x + layer(x)
                return self.last(x)
        """,
        "Net", "Net()", [(1, 3, 40, 40)],
    ),
    "unet_like_children_with_two_inputs": (
        """
        class DoubleConv(nn.Module):
            def __init__(self, cin, cout):
                super().__init__()
                self.double_conv = nn.Sequential(
                    nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
                    nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True))

            def forward(self, x):
                return self.double_conv(x)

        class Up(nn.Module):
            def __init__(self, cin, cout):
                super().__init__()
                self.up = nn.ConvTranspose2d(cin, cin // 2, kernel_size=2, stride=2)
                self.conv = DoubleConv(cin, cout)

            def forward(self, x1, x2):
                x1 = self.up(x1)
                diff_y = x2.size()[2] - x1.size()[2]
                diff_x = x2.size(3) - x1.shape[3]
                x1 = F.pad(x1, [diff_x // 2, diff_x - diff_x // 2, diff_y // 2, diff_y - diff_y // 2])
                return self.conv(torch.cat([x2, x1], dim=1))

        class UNet(nn.Module):
            def __init__(self):
                super(UNet, self).__init__()
                self.inc = DoubleConv(3, 8)
                self.down = nn.Sequential(nn.MaxPool2d(2), DoubleConv(8, 16))
                self.up = Up(16, 8)
                self.outc = nn.Conv2d(8, 2, kernel_size=1)

            def forward(self, x):
                x1 = self.inc(x)
                x2 = self.down(x1)
                return self.outc(self.up(x2, x1))

        if __name__ == "__main__":
            net = UNet()
            print(net(torch.randn(2, 3, 30, 30)).shape)
        """,
        "UNet", "UNet()", [(2, 3, 30, 30)],
    ),
    "tensor_operations": (
        """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv1d(4, 6, 3, padding=1)
                self.proj = nn.Linear(6, 10)
                self.norm = nn.LayerNorm(10)
                self.head = nn.Linear(10 * 12, 3)

            def forward(self, x):
                b = x.size(0)
                x = self.conv(x)                     # b 6 12
                x = x.transpose(1, 2)                # b 12 6
                x = self.norm(self.proj(x))          # b 12 10
                y = x.permute(0, 2, 1).unsqueeze(1)  # b 1 10 12
                y = y.squeeze(1).permute(0, 2, 1)    # b 12 10
                z = torch.stack([x, y], dim=0).mean(0)
                z = z.reshape(b, -1)
                return torch.sigmoid(self.head(z))

        Net()(torch.zeros(5, 4, 12))
        """,
        "Net", "Net()", [(5, 4, 12)],
    ),
    "functionals_and_output_size": (
        """
        # shapelint: input=(2, 4, 17, 17)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.down = nn.Conv2d(4, 8, 3, stride=2, padding=1)
                self.up = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1)
                self.fuse = nn.Conv2d(8, 4, 1)

            def forward(self, x):
                skip = x
                h = F.max_pool2d(F.relu(self.down(x)), kernel_size=3, stride=1, padding=1)
                h = F.interpolate(h, scale_factor=2, mode="nearest")
                h = F.avg_pool2d(h, 2)
                h = self.up(h, output_size=skip.size())
                h = torch.cat((h, skip), 1)
                h = self.fuse(h)
                h = F.adaptive_avg_pool2d(h, (5, 7))
                return torch.flatten(h, 1)
        """,
        "Net", "Net()", [(2, 4, 17, 17)],
    ),
    "module_level_sequential": (
        """
        # shapelint: input=(3, 10)
        mlp = nn.Sequential(
            nn.Linear(10, 32),
            nn.GELU(),
            nn.Dropout(0.1),
            nn.Linear(32, 4),
        )
        """,
        "mlp", "mlp", [(3, 10)],
    ),
    "sequential_subclass_and_inheritance": (
        """
        class ConvBNReLU(nn.Sequential):
            def __init__(self, cin, cout, k=3, s=1):
                padding = (k - 1) // 2
                super().__init__(nn.Conv2d(cin, cout, k, s, padding, bias=False), nn.BatchNorm2d(cout), nn.ReLU6(inplace=True))

        class Base(nn.Module):
            def __init__(self, width):
                super().__init__()
                self.width = width
                self.stem = ConvBNReLU(3, width, s=2)

        # shapelint: input=(1, 3, 64, 64)
        class Net(Base):
            def __init__(self, width=16, use_head=True):
                super().__init__(width)
                self.head = nn.Conv2d(width, 10, 1) if use_head else nn.Identity()
                self.drop = None

            def forward(self, x):
                x = self.stem(x)
                if self.drop is not None:
                    x = self.drop(x)
                x = self.head(x)
                return x.mean([2, 3])
        """,
        "Net", "Net()", [(1, 3, 64, 64)],
    ),
    "vocoder_loop_with_zip_and_enumerate": (
        """
        RATES = [4, 2]
        KERNELS = [8, 4]

        class Vocoder(nn.Module):
            def __init__(self, n_mels=8, channels=16):
                super().__init__()
                self.pre = nn.Conv1d(n_mels, channels, 7, 1, padding=3)
                self.ups = nn.ModuleList()
                for i, (u, k) in enumerate(zip(RATES, KERNELS)):
                    self.ups.append(nn.ConvTranspose1d(channels // (2 ** i), channels // (2 ** (i + 1)), k, u, padding=(k - u) // 2))
                self.post = nn.Conv1d(channels // (2 ** len(self.ups)), 1, 7, 1, padding=3)

            def forward(self, x):
                x = self.pre(x)
                for up in self.ups:
                    x = F.leaky_relu(x, 0.1)
                    x = up(x)
                return torch.tanh(self.post(F.leaky_relu(x)))

        def main():
            from torchinfo import summary
            summary(Vocoder(), input_size=(1, 8, 25))
        """,
        "Vocoder", "Vocoder()", [(1, 8, 25)],
    ),
    "jaxtyping_declared_vae": (
        """
        from jaxtyping import Float

        class Decoder(nn.Module):
            def __init__(self, latent=16, base=8):
                super().__init__()
                self.base = base
                self.fc = nn.Linear(latent, base * 4 * 4 * 4)
                self.deconv = nn.Sequential(
                    nn.ConvTranspose2d(base * 4, base * 2, 4, 2, 1), nn.ReLU(),
                    nn.ConvTranspose2d(base * 2, 1, 4, 2, 1), nn.Sigmoid())

            def forward(self, z: Float[Tensor, "4 16"]) -> Float[Tensor, "4 1 16 16"]:
                x = self.fc(z).view(-1, self.base * 4, 4, 4)
                return self.deconv(x)
        """,
        "Decoder", "Decoder()", [(4, 16)],
    ),
    "resnet_with_helpers_class_attributes_and_residuals": (
        """
def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups, bias=False, dilation=dilation)

def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)

class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        out = self.relu(out)
        return out

class ResNet(nn.Module):
    def __init__(self, block=BasicBlock, layers=(2, 2, 2, 2), num_classes=10, width=16):
        super().__init__()
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, width * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        layers = []
        layers.append(block(self.inplanes, planes, stride, downsample, norm_layer))
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.fc(x)
        return x

if __name__ == '__main__':
    net = ResNet()
    out = net(torch.randn(2, 3, 64, 64))
""",
        "ResNet", "ResNet()", [(2, 3, 64, 64)],
    ),
    "glu_chunk_split_unbind": (
        """
        # shapelint: input=(2, 16, 10)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.gate = nn.Conv1d(16, 32, 3, padding=1)
                self.left = nn.Conv1d(4, 4, 1)
                self.right = nn.Conv1d(12, 6, 1)
                self.head = nn.Linear(10, 5)

            def forward(self, x):
                a, b = self.gate(x).chunk(2, dim=1)
                x = a * torch.sigmoid(b)
                left, right = torch.split(x, [4, 12], dim=1)
                y = torch.cat([self.left(left), self.right(right)], dim=1)
                first, *rest = y.unbind(0)
                return self.head(first + rest[0])
        """,
        "Net", "Net()", [(2, 16, 10)],
    ),
    "lstm_batch_first_attention_gru": (
        """
        # shapelint: input=(3, 7, 12)
        class Tagger(nn.Module):
            def __init__(self, features=12, hidden=16, heads=4, tags=5):
                super().__init__()
                self.lstm = nn.LSTM(features, hidden, num_layers=2, batch_first=True, bidirectional=True)
                self.attn = nn.MultiheadAttention(2 * hidden, heads, batch_first=True)
                self.norm = nn.LayerNorm(2 * hidden)
                self.gru = nn.GRU(2 * hidden, hidden, batch_first=True)
                self.cell = nn.LSTMCell(hidden, 8)
                self.encoder = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
                self.fc = nn.Linear(8 + 2 * hidden + hidden, tags)

            def forward(self, x):
                out, (h, c) = self.lstm(x)
                y, weights = self.attn(out, out, out, need_weights=True)
                y = self.norm(y + out)
                z, h_gru = self.gru(y)
                h1, c1 = self.cell(z[:, -1])
                e = self.encoder(h1.unsqueeze(1))
                state = torch.cat([h[-2], h[-1]], dim=1)
                summary = torch.cat([e[:, 0], state, h_gru[0]], dim=1)
                return self.fc(summary) + weights.mean(dim=(1, 2)).unsqueeze(1)
        """,
        "Tagger", "Tagger()", [(3, 7, 12)],
    ),
    "lstm_unbatched_and_attention_tuple_index": (
        """
        # shapelint: input=(9, 6)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.RNN(6, 10, 3, "relu")
                self.lstm = nn.LSTM(input_size=10, hidden_size=12, proj_size=4)
                self.attn = nn.MultiheadAttention(4, 2, kdim=6, vdim=3)
                self.decoder = nn.TransformerDecoderLayer(4, 1, dim_feedforward=8)
                self.fc = nn.Linear(4, 2)

            def forward(self, x):
                y = self.rnn(x)[0]
                out, _ = self.lstm(y)
                a = self.attn(out, x, x[:, :3], need_weights=False)[0]
                return self.fc(self.decoder(a, out))
        """,
        "Net", "Net()", [(9, 6)],
    ),
    "transformer_seq2seq": (
        """
        # shapelint: input=(2, 6, 8)
        class Seq2Seq(nn.Module):
            def __init__(self, d_model=8, vocab=11):
                super().__init__()
                self.embed = nn.Embedding(vocab, d_model)
                self.transformer = nn.Transformer(d_model, 2, num_encoder_layers=2, num_decoder_layers=1,
                                                  dim_feedforward=16, batch_first=True)
                self.out = nn.Linear(d_model, vocab)

            def forward(self, src):
                tgt = self.embed(torch.zeros(2, 4, dtype=torch.long))
                return self.out(self.transformer(src, tgt))
        """,
        "Seq2Seq", "Seq2Seq()", [(2, 6, 8)],
    ),
    # Sequence first: PyTorch's fused inference path is off, so the hooks of every submodule
    # of the encoder and decoder layers (self_attn, linear1, norm1, ...) see their shapes too.
    "transformer_layers_sequence_first": (
        """
        # shapelint: input=(6, 2, 8)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.transformer = nn.Transformer(8, 4, 1, 2, dim_feedforward=12)
                self.encoder = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
                self.decoder = nn.TransformerDecoderLayer(8, 2, 16, norm_first=True)

            def forward(self, x):
                y = self.transformer(x, x[:3])
                return self.decoder(self.encoder(y), x)
        """,
        "Net", "Net()", [(6, 2, 8)],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_shapes_match_pytorch_hooks(case):
    body, name, build, inputs = CASES[case]
    compare(body, name, build, inputs)


def test_symbolic_batch_survives_view_and_flatten():
    source = HEADER + textwrap.dedent(
        """
        from jaxtyping import Float

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 4, 3, padding=1)
                self.fc = nn.Linear(4 * 8 * 8, 2)

            def forward(self, x: Float[Tensor, "b 3 8 8"]) -> Float[Tensor, "b 2"]:
                x = self.conv(x)
                x = x.view(x.size(0), -1)
                return self.fc(x)
        """
    )
    model = shapelint_model(source, "Net")
    assert model.input == ("b", 3, 8, 8)
    assert model.output == ("b", 2)
    assert {layer.name: layer.output for layer in model.layers}["fc"] == ("b", 2)


@settings(max_examples=300, deadline=None)
@given(
    shape=st.lists(st.integers(1, 9), min_size=1, max_size=4),
    op=st.sampled_from(["chunk", "split", "split_list", "unbind"]),
    n=st.integers(1, 10),
    dim_seed=st.integers(0, 7),
    data=st.data(),
)
def test_chunk_split_unbind_pieces_match_pytorch(shape, op, n, dim_seed, data):
    """Every piece shapelint gives is the piece torch gives; where it gives UNKNOWN torch
    either raises or shapelint has no certainty (never a wrong tuple)."""
    from shapelint.analysis.torch_semantics.shape_ops import pieces
    from shapelint.core.layers import UNKNOWN

    dim = dim_seed % (2 * len(shape)) - len(shape)  # negative and positive dims
    x = torch.zeros(*shape)
    if op == "chunk":
        name, args, call = "chunk", [n, dim], lambda: x.chunk(n, dim)
    elif op == "split":
        name, args, call = "split", [n, dim], lambda: x.split(n, dim)
    elif op == "split_list":
        sections = data.draw(st.lists(st.integers(0, 5), min_size=1, max_size=4))
        name, args, call = "split", [sections, dim], lambda: x.split(sections, dim)
    else:
        name, args, call = "unbind", [dim], lambda: x.unbind(dim)
    ours = pieces(tuple(shape), name, args, {})
    try:
        theirs = [tuple(t.shape) for t in call()]
    except RuntimeError:
        assert ours is UNKNOWN
        return
    assert ours is not UNKNOWN
    assert [t.shape for t in ours] == theirs
