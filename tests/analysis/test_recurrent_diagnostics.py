"""Recurrent and attention layers in model code: the values their forward returns (checked
against PyTorch), and no diagnostic PyTorch does not agree with. Where their SHP102/SHP103
land is checked by the cases of tests/cases/recurrent/."""

from __future__ import annotations

import textwrap

import pytest

from shapelint.analysis import analyze_source

torch = pytest.importorskip("torch")

HEADER = "import torch\nimport torch.nn as nn\nfrom torch import Tensor\n"


def analyze(body: str):
    return analyze_source(HEADER + textwrap.dedent(body), "model.py")


def _model_shapes(result, name):
    model = {m.name: m for m in result.models}[name]
    return {layer.name: layer.output for layer in model.layers}, model.output


@pytest.mark.parametrize("unpack, expected", [
    ("out, _ = self.lstm(x)\n            return out", (4, 20, 256)),
    ("out, (h, c) = self.lstm(x)\n            return h", (4, 4, 128)),
    ("out, (h, c) = self.lstm(x)\n            return c", (4, 4, 128)),
    ("return self.lstm(x)[1][0][-1]", (4, 128)),
    ("out, hidden = self.lstm(x)\n            return hidden[1]", (4, 4, 128)),
])
def test_lstm_results_unpack(unpack, expected):
    body = f"""
    # shapelint: input=(4, 20, 32)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(32, 128, num_layers=2, batch_first=True, bidirectional=True)

        def forward(self, x):
            {unpack}
    """
    result = analyze(body)
    assert result.diagnostics == []
    layers, output = _model_shapes(result, "Net")
    assert layers["lstm"] == (4, 20, 256)
    assert output == expected
    namespace: dict = {}
    exec(compile(HEADER + textwrap.dedent(body), "<model>", "exec"), namespace)
    with torch.no_grad():
        assert tuple(namespace["Net"]()(torch.randn(4, 20, 32)).shape) == expected


def test_attention_weights_follow_need_weights_and_averaging():
    body = """
    # shapelint: input=(2, 5, 16)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(16, 4, batch_first=True)

        def forward(self, x):
            out, per_head = self.attn(x, x, x, average_attn_weights=False)
            _, averaged = self.attn(x, x, x)
            return per_head.sum(1) + averaged
    """
    result = analyze(body)
    assert result.diagnostics == []
    assert _model_shapes(result, "Net")[1] == (2, 5, 5)


def test_torch_rejects_heads_that_do_not_divide_the_embedding():
    """What tests/cases/recurrent/attention_errors.py reports as SHP103 on its line."""
    with pytest.raises(AssertionError):
        torch.nn.MultiheadAttention(16, 3)


# --------------------------------------------------------------------------- no false positive

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_VALUES = st.sampled_from(["1", "2", "3", "4", "8", "0", "-1", "True", "False", "None", "0.5",
                           "1.5", "'relu'", "'tanh'", "'gelu'", "'x'", "width", "width * 2",
                           "(2, 3)"])
_NAMES = {
    "RNN": ["num_layers", "nonlinearity", "bias", "batch_first", "dropout", "bidirectional"],
    "LSTM": ["num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size"],
    "GRU": ["num_layers", "bias", "batch_first", "dropout", "bidirectional"],
    "RNNCell": ["bias", "nonlinearity"], "LSTMCell": ["bias"], "GRUCell": ["bias"],
    "MultiheadAttention": ["dropout", "bias", "add_bias_kv", "add_zero_attn", "kdim", "vdim", "batch_first"],
    "TransformerEncoderLayer": ["dim_feedforward", "dropout", "activation", "batch_first", "norm_first"],
    "TransformerDecoderLayer": ["dim_feedforward", "dropout", "activation", "batch_first", "norm_first"],
    "Transformer": ["num_encoder_layers", "num_decoder_layers", "dim_feedforward", "dropout",
                    "activation", "batch_first", "custom_encoder"],
}
_CALLS = {
    "MultiheadAttention": ["self.layer(x, x, x)[0]", "self.layer(x, x, x, need_weights=False)[0]",
                           "self.layer(query=x, key=x, value=x)[1]"],
    "TransformerDecoderLayer": ["self.layer(x, x)", "self.layer(x, memory=x[:1])"],
    "LSTM": ["self.layer(x)[0]", "self.layer(x)[1][1]"],
    "LSTMCell": ["self.layer(x)[1]"],
    "Transformer": ["self.layer(x, x)", "self.layer(x, tgt=x[:1])", "self.layer(src=x, tgt=x)"],
}


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_whatever_is_reported_torch_rejects_too(data):
    """Random constructor arguments and inputs: the model must not crash the analysis, and each
    SHP1xx it gets must be a model that PyTorch rejects (at construction or on that input)."""
    layer = data.draw(st.sampled_from(sorted(_NAMES)), label="layer")
    positional = [data.draw(_VALUES, label=f"arg{i}") for i in range(2)]
    names = data.draw(st.lists(st.sampled_from(_NAMES[layer]), unique=True, max_size=3), label="kw")
    keywords = [f"{name}={data.draw(_VALUES, label=name)}" for name in names]
    call = data.draw(st.sampled_from(_CALLS.get(layer, ["self.layer(x)"])), label="call")
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4), label="shape"))
    body = f"""
    # shapelint: input={shape!r}
    class Net(nn.Module):
        def __init__(self, width=4):
            super().__init__()
            self.layer = nn.{layer}({", ".join(positional + keywords)})

        def forward(self, x):
            return {call}
    """
    result = analyze(body)
    errors = [(d.code, d.message) for d in result.diagnostics if d.code.startswith("SHP1")]
    if errors:
        namespace: dict = {}
        exec(compile(HEADER + textwrap.dedent(body), "<model>", "exec"), namespace)
        try:
            import warnings
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                namespace["Net"]().eval()(torch.randn(*shape))
        except Exception:  # noqa: BLE001 - any failure of torch's
            return
        raise AssertionError(f"torch accepts what shapelint reports: {errors}\n{body}")
