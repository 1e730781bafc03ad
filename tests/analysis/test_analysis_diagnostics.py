"""Diagnostics of the analysis layer: codes, places, messages, suggestions and fixes."""

from __future__ import annotations

import textwrap

import pytest

from shapelint.analysis import analyze_source
from shapelint.analysis.analyze import apply_edits
from shapelint.analysis.declarations import parse_cli_shape
from shapelint.options import Options

HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nfrom torch import Tensor\n"
HEADER_LINES = HEADER.count("\n")


def analyze(body: str, options: Options = Options()):
    return analyze_source(HEADER + textwrap.dedent(body), "model.py", options)


def codes(result):
    return [(d.code, d.row - HEADER_LINES) for d in result.diagnostics]


def only(result, code):
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1, [(d.code, d.row, d.message) for d in result.diagnostics]
    return found[0]


def fixed_source(result, body):
    edits = [e for d in result.diagnostics if d.fix for e in d.fix.edits]
    return apply_edits(HEADER + textwrap.dedent(body), edits)


CHANNELS = """
# shapelint: input=(2, 3, 16, 16)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(in_channels=4, out_channels=8, kernel_size=3)

    def forward(self, x):
        return self.conv2(self.bn(self.conv1(x)))
"""


def test_channel_mismatches_keep_argument_style_and_continue_after_the_first():
    result = analyze(CHANNELS)
    assert codes(result) == [("SHP102", 7), ("SHP102", 8)]
    bn, conv = result.diagnostics
    assert (bn.col, bn.end_row - HEADER_LINES) == (19, 7)
    assert bn.help == "nn.BatchNorm2d(8)"
    assert bn.fix.applicability == "safe"
    assert conv.help == "nn.Conv2d(in_channels=8, out_channels=8, kernel_size=3)"
    text = fixed_source(result, CHANNELS)
    assert "nn.BatchNorm2d(8)" in text and "nn.Conv2d(in_channels=8, out_channels=8, kernel_size=3)" in text
    assert analyze_source(text, "model.py").diagnostics == []


DECODER = """
# shapelint: input=(4, 128, 8, 8) output=(4, 3, 64, 64)
decoder = nn.Sequential(
    nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1),
    nn.ReLU(inplace=True),
    nn.ConvTranspose2d(64, 32, kernel_size=3, stride=2, padding=1),  # 16 -> 31
    nn.ReLU(inplace=True),
    nn.ConvTranspose2d(32, 3, kernel_size=4, stride=2, padding=1),
)
"""


def test_declared_output_missed_suggests_the_smallest_single_layer_change():
    result = analyze(DECODER)
    mismatch = only(result, "SHP101")
    assert mismatch.row - HEADER_LINES == 2  # at the declaration
    assert "[4, 3, 62, 62]" in mismatch.message and "(4, 3, 64, 64)" in mismatch.message
    assert "2 (ConvTranspose2d)" in mismatch.message  # the chain names the layers
    assert mismatch.help == "nn.ConvTranspose2d(64, 32, kernel_size=4, stride=2, padding=1)"
    assert mismatch.fix.applicability == "safe"
    (edit,) = mismatch.fix.edits
    assert edit.content == "4" and edit.start[0] - HEADER_LINES == 6
    text = fixed_source(result, DECODER)
    assert "# 16 -> 31" in text
    assert [d.code for d in analyze_source(text, "m.py").diagnostics] == []


UPSAMPLER = """
from jaxtyping import Float

class Upsampler(nn.Module):
    def __init__(self, channels: int = 4):
        super().__init__()
        self.up = nn.ConvTranspose3d(channels, channels, kernel_size=(3, 4, 4), stride=(1, 2, 2), padding=(1, 1, 1))

    def forward(self, x: Float[Tensor, "1 4 16 160 160"]) -> Float[Tensor, "1 4 16 224 224"]:
        return self.up(x)
"""


def test_no_lossless_layer_explains_and_recommends_resizing():
    result = analyze(UPSAMPLER)
    mismatch = only(result, "SHP101")
    assert mismatch.fix is None
    assert "1.4" in mismatch.message
    assert mismatch.help.startswith("nn.Sequential(nn.Upsample(size=(16, 224, 224)")


def test_tuples_stay_tuples_and_absent_parameters_are_added():
    body = """
    # shapelint: input=(1, 2, 10, 12) output=(1, 2, 20, 12)
    up = nn.Sequential(nn.ConvTranspose2d(2, 2, (4, 1), padding=(1, 0)))
    """
    result = analyze(body)
    mismatch = only(result, "SHP101")
    text = fixed_source(result, body)
    assert "nn.ConvTranspose2d(2, 2, (4, 1), padding=(1, 0), stride=(2, 1))" in text, text
    assert analyze_source(text, "m.py").diagnostics == []
    assert mismatch.fix.applicability == "safe"


def test_invalid_parameters_without_any_input():
    body = """
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.same = nn.Conv2d(3, 8, 3, stride=2, padding="same")
            self.groups = nn.Conv2d(6, 8, 3, groups=4)
            self.up = nn.ConvTranspose2d(8, 8, 3, stride=2, output_padding=2)

        def forward(self, x):
            return self.up(self.groups(self.same(x)))
    """
    result = analyze(body)
    assert ("SHP103", 5) in codes(result) and ("SHP103", 6) in codes(result) and ("SHP103", 7) in codes(result)
    same = [d for d in result.diagnostics if d.row - HEADER_LINES == 5][0]
    assert same.help == 'nn.Conv2d(3, 8, 3, stride=1, padding="same")'


def test_rank_size_and_combination_errors():
    body = """
    # shapelint: input=(1, 3, 8, 8)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.big = nn.Conv2d(3, 3, kernel_size=9)
            self.conv1d = nn.Conv1d(3, 3, 3)
            self.a = nn.Conv2d(3, 4, 3)
            self.b = nn.Conv2d(3, 4, 1)

        def forward(self, x):
            y = self.big(x)
            z = self.conv1d(x)
            s = self.a(x) + self.b(x)
            return torch.cat([self.a(x), self.b(x)], dim=1)
    """
    result = analyze(body)
    found = codes(result)
    assert ("SHP105", 6) in found
    assert ("SHP104", 7) in found
    assert ("SHP106", 14) in found and ("SHP106", 15) in found
    plus = [d for d in result.diagnostics if d.code == "SHP106" and d.row - HEADER_LINES == 14][0]
    assert plus.fix is not None  # one operand's chain can be made to fit the other


def test_transposed_convolution_warnings():
    body = """
    up = nn.Sequential(
        nn.ConvTranspose2d(4, 4, kernel_size=3, stride=2),
        nn.ConvTranspose2d(4, 4, kernel_size=4, stride=2, padding=5),
    )
    """
    assert codes(analyze(body)) == [("SHP201", 3), ("SHP202", 4)]


def test_layer_and_statement_pragmas():
    body = """
    # shapelint: input=(1, 3, 32, 32)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.down = nn.Conv2d(3, 8, 3, stride=2)  # shapelint: output=(1, 8, 16, 16)
            self.pool = nn.MaxPool2d(2)

        def forward(self, x):
            x = self.down(x)
            x = self.pool(x)  # shapelint: output=(1, 8, 7, 7)
            return x
    """
    result = analyze(body)
    assert codes(result) == [("SHP101", 6)]  # 32 -> 15, and 15 pools to the declared 7
    (layer,) = result.diagnostics
    assert layer.help.startswith("nn.Conv2d(3, 8, ") and layer.fix.applicability == "safe"
    text = fixed_source(result, body)
    after = analyze_source(text, "m.py").diagnostics
    assert [(d.code, d.row - HEADER_LINES) for d in after] == [("SHP101", 11)]  # 16 pools to 8


def test_malformed_and_conflicting_declarations():
    body = """
    from jaxtyping import Float

    class A(nn.Module):  # shapelint: input=(2, 3, 32
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)

        def forward(self, x: Float[Tensor, "b, 3, h, w"]):
            return self.conv(x)

    # shapelint: input=(2, 3, 32, 32)
    class B(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)

        def forward(self, x: Float[Tensor, "b 4 h w"]):
            return self.conv(x)
    """
    result = analyze(body)
    found = codes(result)
    assert ("SHP002", 4) in found and ("SHP002", 9) in found
    assert ("SHP003", 18) in found
    # The pragma wins: the 3 channels it declares fit the convolution.
    assert not any(code == "SHP102" for code, _ in found)


def test_command_line_and_config_declarations_by_name_and_path():
    body = """
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)

        def forward(self, x):
            return self.conv(x)
    """
    name, spec = parse_cli_shape("model.py::Net=1,4,8,8")
    result = analyze(body, Options(cli_inputs={name: spec}))
    assert codes(result) == [("SHP102", 5)]
    name, spec = parse_cli_shape("other.py::Net=1,4,8,8")
    assert codes(analyze(body, Options(cli_inputs={name: spec}))) == []
    _, output = parse_cli_shape("Net=1,8,6,7")
    _, config_input = parse_cli_shape("Net=1,3,8,8")
    result = analyze(body, Options(config_inputs={"Net": config_input}, cli_outputs={"Net": output}))
    assert [c for c, _ in codes(result)] == ["SHP101"]


@pytest.mark.parametrize(
    "body",
    [
        # A condition that cannot be decided builds either layer: never report on it.
        """
        import config
        # shapelint: input=(1, 3, 8, 8)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                if config.BIG:
                    self.conv = nn.Conv2d(3, 64, 3)
                else:
                    self.conv = nn.Conv2d(3, 32, 3)
                self.bn = nn.BatchNorm2d(64)

            def forward(self, x):
                return self.bn(self.conv(x))
        """,
        # A loop of unknown length.
        """
        # shapelint: input=(1, 3, 8, 8)
        class Net(nn.Module):
            def __init__(self, depth):
                super().__init__()
                layers = []
                for _ in range(depth):
                    layers.append(nn.Conv2d(3, 3, 3, padding=1))
                self.body = nn.Sequential(*layers)
                self.head = nn.Conv2d(3, 4, 1)

            def forward(self, x):
                return self.head(self.body(x))
        """,
        # Modules and functions from elsewhere.
        """
        from mylib import make_backbone, Block
        # shapelint: input=(1, 3, 8, 8) output=(1, 10)
        class Net(nn.Module):
            def __init__(self, width=None):
                super().__init__()
                self.backbone = make_backbone()
                self.block = Block(3)
                self.fc = nn.Linear(512, 10)
                self.conv = nn.Conv2d(width, 8, 3)

            def forward(self, x):
                x = self.block(self.backbone(x))
                return self.fc(x)
        """,
        # Shape-dependent branches in forward.
        """
        # shapelint: input=(2, 3, 8, 8)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 4, 3)
                self.other = nn.Conv2d(5, 4, 3)

            def forward(self, x, flag=False):
                if flag:
                    return self.other(x)
                if x.dim() == 3:
                    x = x.unsqueeze(0)
                return self.conv(x)
        """,
    ],
)
def test_what_cannot_be_evaluated_is_never_reported(body):
    result = analyze(body)
    assert [d for d in result.diagnostics if d.code.startswith("SHP1")] == [], [
        (d.code, d.row, d.message) for d in result.diagnostics
    ]


def test_layers_built_in_a_loop_get_unsafe_fixes_only_when_they_hold():
    body = """
    # shapelint: input=(1, 4, 8, 8)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Conv2d(4, 4, 3, padding=1) for _ in range(3)])
            self.bn = nn.BatchNorm2d(5)

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return self.bn(x)
    """
    result = analyze(body)
    assert codes(result) == [("SHP102", 7)]
    assert result.diagnostics[0].fix.applicability == "safe"


def test_models_and_layer_lines():
    result = analyze(CHANNELS)
    (model,) = result.models
    assert (model.name, model.line - HEADER_LINES, model.input) == ("Net", 3, (2, 3, 16, 16))
    assert [(layer.name, layer.type, layer.line - HEADER_LINES) for layer in model.layers] == [
        ("conv1", "Conv2d", 6), ("bn", "BatchNorm2d", 7), ("conv2", "Conv2d", 8),
    ]


def test_an_example_input_builds_the_model_with_the_example_arguments():
    body = """
    class Net(nn.Module):
        def __init__(self, c=3, k=5):
            super().__init__()
            self.conv = nn.Conv2d(c, 8, k)

        def forward(self, x):
            return self.conv(x)

    if __name__ == "__main__":
        net = Net(4, k=3).eval()
        net(torch.randn(1, 4, 10, 10))
    """
    result = analyze(body)
    assert result.diagnostics == []
    (model,) = result.models
    assert (model.input, model.output) == ((1, 4, 10, 10), (1, 8, 8, 8))


def test_a_pragma_on_a_return_statement():
    body = """
    # shapelint: input=(1, 3, 10, 10)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)

        def forward(self, x):
            return self.conv(x)  # shapelint: output=(1, 8, 10, 10)
    """
    result = analyze(body)
    mismatch = only(result, "SHP101")
    assert mismatch.row - HEADER_LINES == 9 and mismatch.fix is not None
    assert analyze_source(fixed_source(result, body), "m.py").diagnostics == []


def test_a_pragma_on_the_first_line_of_a_multi_line_constructor():
    body = """
    # shapelint: input=(1, 3, 10, 10)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(  # shapelint: output=(1, 8, 10, 10)
                3, 8, 3,
            )

        def forward(self, x):
            return self.conv(x)
    """
    assert codes(analyze(body)) == [("SHP101", 6)]


def test_a_command_line_name_may_be_the_variable_holding_the_model():
    body = """
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)

        def forward(self, x):
            return self.conv(x)

    net = Net()
    """
    name, spec = parse_cli_shape("net=1,4,8,8")
    assert codes(analyze(body, Options(cli_inputs={name: spec}))) == [("SHP102", 5)]


def test_several_added_arguments_are_one_edit():
    body = """
    # shapelint: input=(4, 8, 24, 24) output=(4, 8, 12, 12)
    pool = nn.Sequential(nn.MaxPool2d(3))
    """
    result = analyze(body)
    mismatch = only(result, "SHP101")
    (edit,) = mismatch.fix.edits
    assert edit.start == edit.end and edit.content.startswith(", ")
    assert analyze_source(fixed_source(result, body), "m.py").diagnostics == []
