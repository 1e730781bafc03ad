"""Examples are honoured as written (CONTRACT section 1, item 5): the model is built with the
example's own constructor arguments (keyword, positional, ``*args`` and ``**kwargs`` that
evaluate, local names), wherever the example is (``def main():``, ``def test_shapes():``,
``if __name__ == "__main__":``) and however torch is imported there (``import torch as T``,
``from torch import zeros``). An argument that cannot be evaluated builds the model with it
unknown, never with the default in its place.

Each model file is also loaded and run by PyTorch in the test: every layer shape ``shapes``
states is the one PyTorch's forward hooks see, every name a ``named_modules()`` name; the
model's declared output (PyTorch's own output for the example's arguments) raises no SHP101.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from support.cli import check_json, shapes_json  # noqa: E402
from support.torch_oracle import consistent, trace  # noqa: E402

MODEL = '''\
from torch import nn

N = 3


class Net(nn.Module):{declared}
    def __init__(self, c, blocks=3, width=8):
        super().__init__()
        self.conv = nn.Conv2d(c, width, 3, padding=1)
        self.blocks = nn.Sequential(*[nn.Conv2d(width, width, 3, padding=1) for _ in range(blocks)])
        self.pool = nn.MaxPool2d(2 ** blocks)

    def forward(self, x):
        return self.pool(self.blocks(self.conv(x)))


'''

#: Ways of writing the example of ``Net(c, blocks=blocks, width=width)`` on ``[1, c, s, s]``.
FORMS = {
    "keywords only, under __main__": '''\
if __name__ == "__main__":
    import torch
    out = Net(c={c}, blocks={blocks}, width={width})(torch.randn(1, {c}, {s}, {s}))
''',
    "positional and keyword, in main(), torch as T": '''\
def main():
    import torch as T
    net = Net({c}, {blocks}, width={width})
    x = T.randn(1, {c}, {s}, {s})
    y = net(x)
''',
    "**kwargs of a dict, from torch import": '''\
def test_shapes():
    from torch import no_grad, zeros
    cfg = dict(c={c}, blocks={blocks}, width={width})
    net = Net(**cfg).eval()
    with no_grad():
        out = net(zeros(1, {c}, {s}, {s}))
''',
    "*args of a tuple": '''\
def test_net():
    import torch
    args = ({c}, {blocks})
    Net(*args, width={width})(torch.zeros(1, {c}, {s}, {s}))
''',
    "a local name that shadows the module's": '''\
def main():
    import torch
    N = {blocks}
    net = Net({c}, blocks=N, width={width})
    net.forward(torch.randn(1, {c}, {s}, {s}))
''',
}


def write(directory: Path, example: str, declared: Optional[Tuple[int, ...]] = None) -> Path:
    pragma = f"  # shapelint: output={declared}" if declared is not None else ""
    path = directory / "model.py"
    path.write_text(MODEL.format(declared=pragma) + example)
    return path


def against_pytorch(path: Path, build, shape):
    """``shapes`` of Net next to PyTorch's run of ``build``: every name shapelint lists is a
    ``named_modules()`` name and every known dim PyTorch's."""
    _, data, _ = shapes_json(str(path), "--no-cache")
    model = {m["name"]: m for m in data["models"]}["Net"]
    real = trace(str(path), build, [shape])
    assert real.error is None, real.error
    for layer in model["layers"]:
        assert layer["name"] in real.types, (layer["name"], sorted(real.types))
        if layer["output"] is not None:
            assert consistent(layer["output"], real.outputs.get(layer["name"], ()), {}) is None, \
                (layer, real.outputs.get(layer["name"]))
    assert consistent(model["output"], real.output, {}) is None, (model["output"], real.output)
    return model, real


@settings(max_examples=20)
@given(st.sampled_from(sorted(FORMS)), st.integers(1, 4), st.integers(0, 2), st.integers(1, 6),
       st.sampled_from([8, 12, 16]))
def test_the_example_builds_the_model_as_written(tmp_path_factory, form, c, blocks, width, size):
    """``blocks`` is never the default 3: built with the defaults, the output would differ."""
    example = FORMS[form].format(c=c, blocks=blocks, width=width, s=size)
    directory = tmp_path_factory.mktemp("example")
    build = lambda m: m.Net(c, blocks=blocks, width=width)  # noqa: E731
    real_output = trace(str(write(directory, example)), build, [(1, c, size, size)]).output
    path = write(directory, example, declared=real_output)
    model, real = against_pytorch(path, build, (1, c, size, size))
    assert model["input"] == [1, c, size, size]
    assert model["output"] == list(real.output) == list(real_output)
    assert [layer["name"] for layer in model["layers"]] == [n for n in real.types if n]
    assert all(layer["output"] is not None for layer in model["layers"])
    _, diagnostics, _ = check_json(str(path))
    assert diagnostics == []  # the declared output (PyTorch's) holds: no SHP101


@pytest.mark.parametrize("example", [
    '''\
def run(blocks):
    import torch
    Net(4, blocks=blocks)(torch.randn(1, 4, 16, 16))
''',
    '''\
def run(config):
    import torch
    Net(**config)(torch.randn(1, 4, 16, 16))
''',
    '''\
def run(n):
    import torch
    for blocks in range(n):
        Net(4, blocks=blocks)(torch.randn(1, 4, 16, 16))
''',
])
def test_an_argument_that_cannot_be_evaluated_is_unknown_not_the_default(tmp_path, example):
    """Whatever the argument is, every shape stated holds: each known dim is the one PyTorch
    gives for every value the argument may take."""
    path = write(tmp_path, example, declared=(1, 8, 2, 2))  # what the defaults would give
    for blocks in range(4):
        model, _ = against_pytorch(path, lambda m: m.Net(4, blocks=blocks), (1, 4, 16, 16))
        assert model["input"] == [1, 4, 16, 16]
    assert model["output"] is None or model["output"][2:] == [None, None]
    _, diagnostics, _ = check_json(str(path))
    assert [d for d in diagnostics if d["code"].startswith("SHP1")] == []


def test_the_first_example_wins_the_module_level_one_first(tmp_path):
    """Several examples of one model: the module's top level is read first, then the indented
    blocks (shallower first, in source order); the first example found builds the model."""
    example = '''\
def main():
    import torch
    Net(4, blocks=1)(torch.randn(1, 4, 8, 8))


import torch

Net(4, blocks=2)(torch.randn(1, 4, 16, 16))
'''
    path = write(tmp_path, example)
    model, real = against_pytorch(path, lambda m: m.Net(4, blocks=2), (1, 4, 16, 16))
    assert model["input"] == [1, 4, 16, 16] and model["output"] == list(real.output)


def test_a_name_bound_after_an_undecidable_block_is_unknown(tmp_path):
    """``n`` is 1 or 2 after the ``if``: the model is built with ``blocks`` unknown, never
    with one of them nor the default."""
    example = '''\
def main(small):
    import torch
    n = 2
    if small:
        n = 1
    net = Net(4, blocks=n)
    if small:
        net = net.eval()
    net(torch.randn(1, 4, 16, 16))
'''
    path = write(tmp_path, example)
    for blocks in (1, 2):
        model, _ = against_pytorch(path, lambda m: m.Net(4, blocks=blocks), (1, 4, 16, 16))
    assert model["input"] == [1, 4, 16, 16]  # the example is still found
    assert model["output"] is None or model["output"][2:] == [None, None]
