"""Symbolic layer rules against PyTorch on the CPU, for every size 1..200.

For random layers and chains of layers (convolutions in every padding mode, transposed
convolutions, max/avg pooling with ceil_mode, upsampling, padding layers): the constraint holds
exactly for the sizes PyTorch runs, and the output expression's value is PyTorch's size.
Inputs are tiny (batch 1, channel 1, one spatial dim, or two for the 2-d checks).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
nn = torch.nn

from shapelint.core import symbolic as S  # noqa: E402
from shapelint.core import symbolic_formulas as F  # noqa: E402

SIZES = range(1, 201)
H = S.name("h")


@st.composite
def conv_layers(draw):
    k = draw(st.integers(1, 7))
    d = draw(st.integers(1, 3))
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    if draw(st.booleans()) and mode == "zeros" or draw(st.integers(0, 5)) == 0:
        padding = "same"
        s = 1
    else:
        padding = draw(st.integers(0, 4))
        s = draw(st.integers(1, 4))
    params = dict(kernel_size=k, stride=s, padding=padding, dilation=d, padding_mode=mode)
    layer = nn.Conv1d(1, 1, **params)
    return layer, lambda x: F.conv(x, k, s, padding, d, mode), f"Conv1d({params})"


@st.composite
def conv_transpose_layers(draw):
    k = draw(st.integers(1, 6))
    s = draw(st.integers(1, 4))
    d = draw(st.integers(1, 3))
    p = draw(st.integers(0, 6))
    op = draw(st.integers(0, max(s, d) - 1))
    layer = nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, output_padding=op, dilation=d)
    return layer, lambda x: F.conv_transpose(x, k, s, p, op, d), f"ConvTranspose1d(k={k}, s={s}, p={p}, op={op}, d={d})"


@st.composite
def pool_layers(draw):
    k = draw(st.integers(1, 6))
    s = draw(st.integers(1, 4))
    p = draw(st.integers(0, k // 2))
    ceil = draw(st.booleans())
    if draw(st.booleans()):
        d = draw(st.integers(1, 3))
        layer = nn.MaxPool1d(k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
        return layer, lambda x: F.pool(x, k, s, p, d, ceil), f"MaxPool1d(k={k}, s={s}, p={p}, d={d}, ceil={ceil})"
    layer = nn.AvgPool1d(k, stride=s, padding=p, ceil_mode=ceil)
    return layer, lambda x: F.pool(x, k, s, p, 1, ceil), f"AvgPool1d(k={k}, s={s}, p={p}, ceil={ceil})"


@st.composite
def resize_layers(draw):
    scale = draw(st.sampled_from([2, 3, 0.5, 0.25, 1.5, 0.75, 2.5, 1.25]))
    layer = nn.Upsample(scale_factor=scale, mode="nearest")
    return layer, lambda x: F.interpolate(x, scale), f"Upsample(scale_factor={scale})"


@st.composite
def pad_layers(draw):
    before, after = draw(st.integers(0, 5)), draw(st.integers(0, 5))
    kind = draw(st.sampled_from(["reflect", "replicate", "constant", "circular"]))
    layer = {
        "reflect": lambda: nn.ReflectionPad1d((before, after)),
        "replicate": lambda: nn.ReplicationPad1d((before, after)),
        "constant": lambda: nn.ConstantPad1d((before, after), 0.0),
        "circular": lambda: nn.CircularPad1d((before, after)),
    }[kind]()
    return layer, lambda x: F.pad(x, before, after, kind), f"{kind} pad ({before}, {after})"


LAYERS = st.one_of(conv_layers(), conv_transpose_layers(), pool_layers(), resize_layers(), pad_layers())


def _torch_size(model, h: int):
    """PyTorch's output length for input length h, or None when it refuses the input."""
    try:
        with torch.no_grad():
            return model(torch.zeros(1, 1, h)).shape[-1]
    except (RuntimeError, ValueError, IndexError):
        return None


def _predicted(rules, size):
    accepts = S.Constraint.true()
    for rule in rules:
        size, condition = rule(size)
        accepts = accepts & condition
    return size, accepts


@settings(max_examples=120)
@given(st.lists(LAYERS, min_size=1, max_size=4))
def test_chains_match_pytorch_for_every_size(chain):
    model = nn.Sequential(*(layer for layer, _, _ in chain))
    rules = [rule for _, rule, _ in chain]
    names = [what for _, _, what in chain]
    out, accepts = _predicted(rules, H)
    for h in SIZES:
        real = _torch_size(model, h)
        runs = accepts.contains({"h": h})
        assert runs == (real is not None), (names, h, real, accepts.conditions())
        if runs:
            assert S.evaluate(out, {"h": h}) == real, (names, h, str(out))
            # The int path of the same rules agrees.
            int_out, int_accepts = _predicted(rules, h)
            assert int_out == real and int_accepts.is_everything()


@settings(max_examples=40)
@given(conv_layers(), pool_layers())
def test_two_dims_square_and_not(conv, pooling):
    """The per-dim rules hold on 2-d layers too, for h and w of different sizes."""
    layer1, rule1, _ = conv
    layer2, rule2, _ = pooling
    params = {k: getattr(layer1, k) for k in ("kernel_size", "stride", "padding", "dilation", "padding_mode")}
    params = {k: (v[0] if isinstance(v, tuple) else v) for k, v in params.items()}
    conv2d = nn.Conv2d(1, 1, **params)
    pool2d = (nn.MaxPool2d if isinstance(layer2, nn.MaxPool1d) else nn.AvgPool2d)(
        **{k: getattr(layer2, k) for k in ("kernel_size", "stride", "padding", "ceil_mode")},
        **({"dilation": layer2.dilation} if isinstance(layer2, nn.MaxPool1d) else {}),
    )
    model = nn.Sequential(conv2d, pool2d)
    out_h, accepts_h = _predicted([rule1, rule2], S.name("h"))
    out_w, accepts_w = _predicted([rule1, rule2], S.name("w"))
    accepts = accepts_h & accepts_w
    for h, w in [(1, 9), (5, 5), (9, 2), (16, 31), (30, 7), (2, 2), (13, 40)]:
        try:
            with torch.no_grad():
                real = tuple(model(torch.zeros(1, 1, h, w)).shape[-2:])
        except RuntimeError:
            real = None
        values = {"h": h, "w": w}
        assert accepts.contains(values) == (real is not None), (h, w, accepts.conditions())
        if real is not None:
            assert (S.evaluate(out_h, values), S.evaluate(out_w, values)) == real


def test_non_binary_scales_are_unknown():
    with pytest.raises(S.Inexact):
        F.interpolate(H, 1 / 3)
    with pytest.raises(S.Inexact):
        F.interpolate(H, 0.1)


def test_unet_accepts_exactly_multiples_of_16():
    """A four-level U-Net (conv 3 pad 1, max-pool 2, nearest upsample x2, cat with the skip):
    the accepted sizes and the output, against PyTorch."""

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(1, 1, 3, padding=1)
            self.pool = nn.MaxPool1d(2)
            self.up = nn.Upsample(scale_factor=2)

        def forward(self, x):
            skips = []
            for _ in range(4):
                x = self.conv(x)
                skips.append(x)
                x = self.pool(x)
            for skip in reversed(skips):
                x = torch.cat([self.up(x), skip], dim=1)[:, :1]
            return x

    size, accepts = H, S.Constraint.true()
    skips = []
    for _ in range(4):
        size, c1 = F.conv(size, 3, 1, 1)
        skips.append(size)
        size, c2 = F.pool(size, 2)
        accepts = accepts & c1 & c2
    for skip in reversed(skips):
        size, c3 = F.interpolate(size, 2.0)
        accepts = accepts & c3 & F.operands_equal(size, skip)
    assert accepts.conditions() == ["h % 16 == 0"]
    model = UNet()
    for h in SIZES:
        real = _torch_size(model, h)
        assert accepts.contains({"h": h}) == (real is not None), h
        if real is not None:
            assert S.evaluate(size, {"h": h}) == real


def test_classifier_head_accepts_the_sizes_in_features_allows():
    """conv stride 2, flatten of channels*h*w, Linear(in_features): a finite set of (h, w)."""
    conv = nn.Conv2d(1, 4, 3, stride=2, padding=1)
    linear = nn.Linear(4 * 3 * 5, 2)
    model = nn.Sequential(conv, nn.Flatten(), linear)
    h_out, ch = F.conv(S.name("h"), 3, 2, 1)
    w_out, cw = F.conv(S.name("w"), 3, 2, 1)
    features = F.flatten([4, h_out, w_out])
    _, cl = F.linear(features, 4 * 3 * 5)
    accepts = ch & cw & cl
    for h in range(1, 16):
        for w in range(1, 16):
            try:
                with torch.no_grad():
                    model(torch.zeros(1, 1, h, w))
                real = True
            except RuntimeError:
                real = False
            assert accepts.contains({"h": h, "w": w}) == real, (h, w, accepts.conditions())


def test_view_with_minus_one_matches_pytorch():
    """conv (stride 2, 8 channels), then view(b, -1) / view(b, 2, -1) / view(-1, h', w')."""
    conv = nn.Conv2d(1, 8, 3, stride=2, padding=1)
    names = {n: S.name(n) for n in ("b", "h", "w")}
    h_out, _ = F.conv(names["h"], 3, 2, 1)
    w_out, _ = F.conv(names["w"], 3, 2, 1)
    sizes = [names["b"], 8, h_out, w_out]
    views = [
        ([names["b"], -1], lambda y, b: y.view(b, -1)),
        ([names["b"], 2, -1], lambda y, b: y.view(b, 2, -1)),
        ([-1, h_out, w_out], lambda y, b: y.view(-1, y.shape[-2], y.shape[-1])),
    ]
    for shape, view in views:
        predicted, accepts = F.reshape(sizes, shape)
        assert accepts.is_everything()
        for b, h, w in [(1, 1, 1), (2, 5, 9), (3, 16, 7), (1, 31, 2)]:
            with torch.no_grad():
                real = tuple(view(conv(torch.zeros(b, 1, h, w)), b).shape)
            values = {"b": b, "h": h, "w": w}
            assert tuple(S.evaluate(s, values) for s in predicted) == real
    with pytest.raises(S.Inexact):
        F.reshape(sizes, [names["b"], 3, -1])  # 8*h'*w' is not a multiple of 3 for every size
