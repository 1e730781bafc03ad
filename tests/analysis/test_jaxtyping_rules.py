"""jaxtyping dims strings follow jaxtyping's own rules; sizes no tensor can have are SHP002 in
every channel; ``*batch``, ``...`` and named batch dims do not hide a mismatch of the fixed dims.

Oracles: jaxtyping itself (what it accepts when ``Float[Tensor, "..."]`` is built, how its run-time
check reads each dim), and real PyTorch on the CPU with jaxtyping's run-time check (the output a
model really produces, and whether it satisfies the declared annotations).
"""

from __future__ import annotations

import textwrap
import warnings

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
torch = pytest.importorskip("torch", reason="torch is the oracle of the model tests")
jaxtyping = pytest.importorskip("jaxtyping", reason="jaxtyping is the oracle for dims strings")
from jaxtyping import Float, jaxtyped  # noqa: E402
from jaxtyping import _array_types as jt  # noqa: E402

from shapelint.analysis import analyze_source  # noqa: E402
from shapelint.core.shapespec import (  # noqa: E402
    MAX_SIZE,
    DeclarationError,
    parse_cli_shape,
    parse_jaxtyping_dims,
    parse_pragma,
    parse_shape_tuple,
    shape_from_config,
)
from shapelint.core.options import Options  # noqa: E402

from support.cli import run_cli  # noqa: E402
from support.jaxtyping_oracle import check_against_jaxtyping  # noqa: E402

HUGE = "1" * 320  # over 10**308: a float conversion of it overflows
BIGGER = "1" * 5000  # over Python's 4,300-digit limit of int(str)


def one_line_error(fn, *args) -> str:
    with pytest.raises(DeclarationError) as info:
        fn(*args)
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message
    return message


# ------------------------------------------------------------------------------------------
# The grammar, against jaxtyping


def jaxtyping_build(text):
    try:
        return Float[torch.Tensor, text]
    except Exception as e:  # noqa: BLE001 - what jaxtyping raises is part of the check
        return e


def jaxtyping_size_matches(dim, size: int) -> bool:
    """jaxtyping's run-time reading of one dim: does a tensor dim of ``size`` satisfy it?"""
    return jt._check_dims([dim], (size,), {}, {}) == ""


def compare_with_jaxtyping(text: str) -> None:
    """Accepted and rejected as jaxtyping does (with the documented differences), and every
    dim shapelint gives a size has exactly the size jaxtyping's run-time check accepts."""
    theirs = jaxtyping_build(text)
    if isinstance(theirs, Exception):
        # jaxtyping rejects a malformed string with a ValueError when the annotation is built.
        assert type(theirs) is ValueError, (text, theirs)
        one_line_error(parse_jaxtyping_dims, text)
        return
    check_against_jaxtyping(text)  # structure, and the deliberate differences
    try:
        ours = parse_jaxtyping_dims(text)
    except DeclarationError:
        return  # a difference check_against_jaxtyping accepted: not valid Python, or no size
    resolved = ours.resolve({}, fill=())
    at = 0
    for dim in theirs.dims:
        if dim is jt._anonymous_variadic_dim or isinstance(dim, jt._NamedVariadicDim):
            continue
        size = resolved[at]
        at += 1
        if isinstance(size, int) and not getattr(dim, "broadcastable", False):
            # The same meaning: jaxtyping accepts that size and not the next one.
            assert jaxtyping_size_matches(dim, size), (text, dim, size)
            assert not jaxtyping_size_matches(dim, size + 1), (text, dim, size)


NUMERIC = [
    "-8", "-0", "+4", "0", "7", "1_000", "1__0", "_1", "1_", "08", "1e3", "1E2", "1e-3", "2.0",
    "1.5", ".5", "0x10", "0X1f", "0o17", "0b101", "0b2", "2-3", "3-2", "2**62", "2**63",
    "2**70", "2**-1", "6/3", "7/2", "7//2", "-(2)", "(4)", "9223372036854775807",
    "9223372036854775808", "1" * 25, "-" + "1" * 25, "0" * 25 + "5", "1e400", "-1e400",
    "\u0663", "\u0661\u0660", "#-1", "#4", "#0x4", "c=-3", "c=1e3", "c=0x10", "c=2**70", "*-1",
    "_-1", "?-1", "abs(-3)", "min(3,4)", "max(2,h)", "int(2.5)", "1/0", "True", "None", "h-h",
    "2*h", "-h", "h**2", "b", "_", "...", "*b", "#b", "4611686018427387904", "2", "b=4",
]


@pytest.mark.parametrize("text", NUMERIC + [HUGE, "-" + HUGE, BIGGER, "4611686018427387904 2", "0 4611686018427387904 4"])
def test_numeric_dims_like_jaxtyping(text):
    compare_with_jaxtyping(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(NUMERIC), min_size=1, max_size=4), st.sampled_from([" ", "  ", "\t"]))
@example(["-8", "3", "64", "64"], " ")
@example(["*batch", "1e3"], " ")
def test_numeric_strings_like_jaxtyping(tokens, sep):
    compare_with_jaxtyping(sep.join(tokens))


# Meaning, spelled out: jaxtyping's reading of numbers that a Python tuple literal would reject.
@pytest.mark.parametrize(
    "text, size",
    [("1e3", 1000), ("0x10", 16), ("0b11", 3), ("6/3", 2), ("\u0663", 3), ("+2", 2), ("1_0", 10),
     ("-0", 0), ("c=4", 4), ("2**62", 2**62), (str(MAX_SIZE), MAX_SIZE), ("08", 8)],
)
def test_jaxtyping_numbers_mean_what_jaxtyping_checks(text, size):
    assert parse_jaxtyping_dims(text).resolve({}) == (size,)
    if size < 64:
        assert isinstance(torch.zeros(size), Float[torch.Tensor, text])
        assert not isinstance(torch.zeros(size + 1), Float[torch.Tensor, text])


# ------------------------------------------------------------------------------------------
# Sizes no tensor can have: SHP002 with the reason


TOO_LARGE = "too large (PyTorch sizes are at most 2**63 - 1)"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("-8", "negative size -8"),
        ("b -8 h", "negative size -8"),
        ("c=-3", "negative size -3"),
        ("#-1", "negative size -1"),
        ("2-3", "negative size 2-3"),
        ("-1e3", "negative size -1e3"),
        ("1.5", "1.5 is not a whole number"),
        ("2**-1", "not a whole number"),
        ("2**70", TOO_LARGE),
        ("2**63", TOO_LARGE),
        ("9223372036854775808", TOO_LARGE),
        ("1e400", TOO_LARGE),
        ("c=" + HUGE, "(320 digits) is " + TOO_LARGE),
        (HUGE, "(320 digits) is " + TOO_LARGE),
        ("-" + HUGE, "negative size"),
        (BIGGER, "(5000 digits) is " + TOO_LARGE),
        ("4611686018427387904 2", "more than 2**63 - 1 elements"),
    ],
)
def test_jaxtyping_impossible_sizes(text, fragment):
    message = one_line_error(parse_jaxtyping_dims, text)
    assert fragment in message and len(message) < 250, message


@pytest.mark.parametrize("text", [str(MAX_SIZE), "0", "0 4611686018427387904 4", "b 4611686018427387904", "2**62*h"])
def test_jaxtyping_largest_sizes_accepted(text):
    parse_jaxtyping_dims(text)  # a size up to 2**63 - 1 may be real (a uint8 meta tensor)


def test_max_size_is_pytorchs():
    """The bound is PyTorch's own: a tensor of MAX_SIZE bytes can be described, one more cannot."""
    torch.empty(MAX_SIZE, dtype=torch.uint8, device="meta")
    with pytest.raises((TypeError, RuntimeError, OverflowError)):
        torch.empty(MAX_SIZE + 1, dtype=torch.uint8, device="meta")
    with pytest.raises(RuntimeError):
        torch.empty(2**62, 2, dtype=torch.uint8, device="meta")  # the element count overflows


@pytest.mark.parametrize(
    "text, fragment",
    [
        (f"({HUGE},)", "(320 digits) is " + TOO_LARGE),
        (f"(1, 3, {BIGGER})", "(5000 digits) is " + TOO_LARGE),
        (f"(1, 0x{'f' * 5000})", "(5000 hexadecimal digits) is " + TOO_LARGE),
        ("(2**70, 3)", TOO_LARGE),
        ("(9223372036854775808,)", TOO_LARGE),
        ("(-8, 3)", "negative size -8"),
        ("(1 - 3,)", "negative size 1 - 3"),
        ("(2**62, 2)", "more than 2**63 - 1 elements"),
    ],
)
def test_tuple_impossible_sizes(text, fragment):
    message = one_line_error(parse_shape_tuple, text)
    assert fragment in message and len(message) < 250, message
    pragma = one_line_error(parse_pragma, f"# shapelint: input={text}")
    assert fragment in pragma


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("Net=1,3," + HUGE, "(320 digits) is " + TOO_LARGE),
        ("Net=1,3," + BIGGER, "(5000 digits) is " + TOO_LARGE),
        (f"Net=(1, 3, {HUGE})", "(320 digits) is " + TOO_LARGE),
        ("Net=1,-3", "negative size -3"),
        ("Net=1,9223372036854775808", TOO_LARGE),
    ],
)
def test_cli_value_impossible_sizes(value, fragment):
    message = one_line_error(parse_cli_shape, value)
    assert fragment in message and len(message) < 250, message


@pytest.mark.parametrize(
    "value, fragment",
    [
        ([1, 3, int(HUGE)], "(320 digits) is " + TOO_LARGE),
        ([1, 3, MAX_SIZE + 1], TOO_LARGE),
        ([1, -3], "negative size -3"),
        ([1, "2**70"], TOO_LARGE),
        ([2**62, 2], "more than 2**63 - 1 elements"),
        (f"1 3 {HUGE}", TOO_LARGE),
        (f"(1, 3, {HUGE})", TOO_LARGE),
    ],
)
def test_config_value_impossible_sizes(value, fragment):
    message = one_line_error(shape_from_config, value)
    assert fragment in message and len(message) < 250, message


# ------------------------------------------------------------------------------------------
# Every channel, end to end: SHP002 at the declaration (the file's other diagnostics stay), or
# exit 2 with one line for the command line and the configuration.

MODEL = """\
import torch
from torch import nn, Tensor
from jaxtyping import Float


{pragma}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(9)

    def forward(self, x{annotation}):
        return self.bn(self.conv(x))
{example}
"""


def write_model(tmp_path, pragma="", annotation="", example=""):
    path = tmp_path / "net.py"
    path.write_text(MODEL.format(pragma=pragma, annotation=annotation, example=example))
    return str(path)


def check(path, *extra):
    result = run_cli("check", path, "--format", "json", "--no-cache", *extra)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.mark.parametrize(
    "pragma, annotation, line",
    [
        (f"# shapelint: input=(1, 3, 64, {HUGE})", "", 6),
        ("# shapelint: output=(1, 8, 32, 2**70)", "", 6),
        ("", f': Float[Tensor, "1 3 64 {HUGE}"]', 13),
        ("", ': Float[Tensor, "b 3 64 -64"]', 13),
    ],
)
def test_file_declarations_impossible_sizes(tmp_path, pragma, annotation, line):
    result = check(write_model(tmp_path, pragma, annotation))
    assert result.code == 1
    found = {(d["code"], d["location"]["row"]) for d in result.json()}
    assert ("SHP002", line) in found, found
    assert ("SHP102", 11) in found, found  # the BatchNorm2d(9) that gets 8 channels: not hidden
    message = next(d["message"] for d in result.json() if d["code"] == "SHP002")
    assert "too large" in message or "negative size" in message
    assert len(message) < 300


@pytest.mark.parametrize("flag", ["--input", "--output"])
@pytest.mark.parametrize("size", [HUGE, BIGGER, str(MAX_SIZE + 1)])
def test_cli_impossible_sizes_exit_2(tmp_path, flag, size):
    path = write_model(tmp_path)
    for command in ("check", "shapes"):
        result = run_cli(command, path, flag, f"Net=1,3,64,{size}")
        assert result.code == 2, (command, result)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "SHP002" in lines[0] and "too large" in lines[0], result.stderr
        assert len(lines[0]) < 300


@pytest.mark.parametrize("table", ["inputs", "outputs"])
@pytest.mark.parametrize("size", [HUGE, str(MAX_SIZE + 1), '"2**70"'])
def test_config_impossible_sizes_exit_2(tmp_path, table, size):
    path = write_model(tmp_path)
    (tmp_path / "pyproject.toml").write_text(f'[tool.shapelint.{table}]\n"Net" = [1, 3, 64, {size}]\n')
    result = run_cli("check", path, "--no-cache")
    assert result.code == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SHP002" in lines[0] and "too large" in lines[0], result.stderr
    assert f"tool.shapelint.{table}" in lines[0]


@pytest.mark.parametrize("size", [HUGE, "2**62, 2**62", "10**30"])
def test_example_input_of_impossible_size_is_no_declaration(tmp_path, size):
    """An example that would fail when it runs declares nothing; the file is still checked."""
    example = f'\n\nif __name__ == "__main__":\n    Net()(torch.randn(1, 3, 64, {size}))\n'
    result = check(write_model(tmp_path, example=example))
    assert result.code == 1
    assert {d["code"] for d in result.json()} == {"SHP102"}


def test_huge_size_no_longer_hides_other_models(tmp_path):
    """Before: a 320-digit declared size crashed the suggestion step (a float overflow) and the
    model's SHP101 vanished. Now the declaration is SHP002 and the other model is still checked."""
    source = MODEL.format(pragma="# shapelint: input=(1, 3, 64, 64) output=(1, 9, 32, 32)", annotation="", example="")
    source += textwrap.dedent(f"""

        # shapelint: input=(1, 3, 64, {HUGE}) output=(1, 8, 31, 31)
        class Other(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)

            def forward(self, x):
                return self.conv(x)
    """)
    (tmp_path / "two.py").write_text(source)
    result = check(str(tmp_path / "two.py"))
    codes = sorted(d["code"] for d in result.json())
    assert codes == ["SHP002", "SHP101", "SHP102"], result.json()


# ------------------------------------------------------------------------------------------
# `*batch`, `...` and named batch dims: the fixed dims are still compared, against real PyTorch

HEADER = """\
import torch
from torch import nn, Tensor
from jaxtyping import Float


"""


def conv_model(name, in_dims, out_dims, body="return self.conv(x)", layer="nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)"):
    return textwrap.dedent(f"""\
        class {name}(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = {layer}

            def forward(self, x: Float[Tensor, "{in_dims}"]) -> Float[Tensor, "{out_dims}"]:
                {body}
    """)


# name: (source, input dims, output dims, whether SHP101 is certain)
MODELS = {
    "StarBatch": (conv_model("StarBatch", "*batch 3 64 64", "*batch 8 32 31"), True),
    "Dots": (conv_model("Dots", "... 3 64 64", "... 8 30 32"), True),
    "Named": (conv_model("Named", "b 3 64 64", "b 8 31 31"), True),
    "LeadingSpace": (conv_model("LeadingSpace", " *batch 3 64 64", " *batch 8 31 32"), True),
    "StarBatchFits": (conv_model("StarBatchFits", "*batch 3 64 64", "*batch 8 32 32"), False),
    "Mlp": (conv_model("Mlp", "*batch 784", "*batch 10", layer="nn.Linear(784, 9)"), True),
    "MlpFits": (conv_model("MlpFits", "*batch 784", "*batch 9", layer="nn.Linear(784, 9)"), False),
    # Upsample takes 3 to 5 dims and reads `... 64 64` differently with one batch dim or two:
    # with two (the way the declaration is meant) it fits, so nothing is certain.
    "UpDots": (conv_model("UpDots", "... 64 64", "... 128 128", layer="nn.Upsample(scale_factor=2)"), False),
    "PoolDots": (conv_model("PoolDots", "... 64", "... 32", layer="nn.MaxPool2d(2)"), False),
    # Unbound names: `h` out of a stride-2 conv is (h + 1)//2, which is h for h = 1: not certain.
    "Symbolic": (conv_model("Symbolic", "b 3 h w", "b 8 h w"), False),
    "BatchMean": (conv_model("BatchMean", "b 3 64 64", "b 8 32 32", body="return self.conv(x).mean(0, keepdim=True)"), False),
    "DotsMean": (conv_model("DotsMean", "... 3 64 64", "... 8 32 32", body="return self.conv(x).mean(-1)"), True),
}


def analyse(source, **options):
    result = analyze_source(HEADER + source, "model.py", Options(**options))
    return result


def shp101(result):
    return [d for d in result.diagnostics if d.code == "SHP101"]


def torch_model(source, name):
    namespace = {}
    exec(compile(HEADER + source, "<model>", "exec"), namespace)  # noqa: S102 - the test's own model
    return namespace[name]()


def jaxtyping_verdict(in_dims, out_dims, x, out) -> bool:
    """Whether jaxtyping's run-time check accepts the input and the output together."""
    with jaxtyped("context"):
        return isinstance(x, Float[torch.Tensor, in_dims]) and isinstance(out, Float[torch.Tensor, out_dims])


def dims_of(source):
    start = source.index('Float[Tensor, "') + len('Float[Tensor, "')
    in_dims = source[start:source.index('"', start)]
    start = source.index('Float[Tensor, "', start) + len('Float[Tensor, "')
    return in_dims, source[start:source.index('"', start)]


def real_runs(source, name, in_dims):
    """The model run by PyTorch on inputs that satisfy the declared input: batch dims of rank 0
    to 2 for a variadic, ``b`` of 1 and 2; ((batch dims, b), input, output) for each run that
    PyTorch accepts."""
    model = torch_model(source, name).eval()
    spec = parse_jaxtyping_dims(in_dims)
    fills = ((), (2,), (2, 2)) if spec.variadic_index is not None else (None,)
    batch_sizes = (1, 2) if "b" in spec.names() else (2,)
    runs = []
    for fill in fills:
        for b in batch_sizes:
            x = torch.randn(*spec.resolve({"b": b, "h": 16, "w": 12}, fill=fill))
            try:
                with torch.no_grad():
                    out = model(x)
            except RuntimeError:
                continue  # not an input the model takes
            runs.append(((fill, b), x, out))
    return runs


# The run shapelint reports on: one batch dim, or b bound to nothing (any size; 2 here).
REPORTED_RUN = {((2,), 2), (None, 2)}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_batch_dims_do_not_hide_mismatches(name):
    source, certain = MODELS[name]
    in_dims, out_dims = dims_of(source)
    result = analyse(source)
    errors = [d for d in result.diagnostics if d.code.startswith("SHP1") or d.code == "SHP002"]
    runs = real_runs(source, name, in_dims)
    assert runs, "the model runs in PyTorch on some declared input"
    verdicts = {label: jaxtyping_verdict(in_dims, out_dims, x, out) for label, x, out in runs}
    if certain:
        # Reported, and real: every declared input the model takes gives an output that breaks
        # the declared output, and the output shapelint infers is the one PyTorch gives.
        assert [d.code for d in errors] == ["SHP101"], [(d.code, d.message) for d in errors]
        assert not any(verdicts.values()), verdicts
        model = next(m for m in result.models if m.name == name)
        (_, x, out), = [run for run in runs if run[0] in REPORTED_RUN]
        inferred = [2 if isinstance(d, str) else d for d in model.output]
        assert inferred == list(out.shape), (model.output, list(out.shape))
    else:
        # Never a false positive: some input the declaration allows gives a declared output.
        assert errors == [], [(d.code, d.message) for d in errors]
        assert any(verdicts.values()) or name == "Symbolic", verdicts


def test_star_batch_binds_the_same_dims_in_the_output():
    """`*batch` in and `*batch` out are the same dims: an output that drops one is SHP101."""
    source = conv_model("Net", "*batch 3 64 64", "*batch 8 32 32", body="return self.conv(x)[0]")
    (diagnostic,) = shp101(analyse(source))
    assert "*batch" in diagnostic.message
    runs = real_runs(source, "Net", "*batch 3 64 64")
    assert runs and not any(jaxtyping_verdict("*batch 3 64 64", "*batch 8 32 32", x, out) for _, x, out in runs)


def test_dots_in_the_output_is_independent_of_the_input():
    """`...` binds nothing (as in jaxtyping): an output with other leading dims still fits."""
    source = conv_model("Net", "... 3 64 64", "... 32", body="return self.conv(x).flatten(0, -2)")
    assert shp101(analyse(source)) == []
    runs = real_runs(source, "Net", "... 3 64 64")
    assert all(jaxtyping_verdict("... 3 64 64", "... 32", x, out) for _, x, out in runs)


@pytest.mark.parametrize(
    "declared_out, concrete, certain",
    [
        ("b 8 h w", "2,3,64,48", True),  # h=64 binds: the conv gives 32
        ("b 8 h//2 w//2", "2,3,64,48", False),
        ("b 8 h//2 w//2", "2,3,63,48", True),  # (63 + 1)//2 = 32, not 31
        ("b 8 32 w", "2,3,64,48", True),
    ],
)
def test_names_bind_to_a_concrete_input(declared_out, concrete, certain):
    source = conv_model("Net", "b 3 h w", declared_out)
    unbound = analyse(source)
    assert shp101(unbound) == [], "without a concrete size nothing is certain"
    name, spec = parse_cli_shape(f"Net={concrete}")
    bound = analyse(source, cli_inputs={name: spec})
    assert bool(shp101(bound)) is certain, [d.message for d in shp101(bound)]
    # The example input of the project binds the names the same way.
    with_example = source + f'\n\nif __name__ == "__main__":\n    Net()(torch.randn({concrete}))\n'
    assert bool(shp101(analyse(with_example))) is certain
    # PyTorch + jaxtyping agree.
    model = torch_model(source, "Net").eval()
    x = torch.randn(*map(int, concrete.split(",")))
    with torch.no_grad():
        out = model(x)
    assert jaxtyping_verdict("b 3 h w", declared_out, x, out) is not certain


def test_named_batch_in_and_out_must_agree():
    """`b` in → `b` out: with b bound to 2, an output batch of 1 is SHP101 naming `b`."""
    source = conv_model("Net", "b 3 64 64", "b 8 32 32", body="return self.conv(x)[:1]")
    assert shp101(analyse(source)) == []  # b = 1 fits
    with_example = source + '\n\nif __name__ == "__main__":\n    Net()(torch.randn(2, 3, 64, 64))\n'
    (diagnostic,) = shp101(analyse(with_example))
    assert "(b) is 1, but b=2" in diagnostic.message
    model = torch_model(source, "Net").eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert not jaxtyping_verdict("b 3 64 64", "b 8 32 32", x, model(x))


def test_star_batch_binds_to_a_concrete_input():
    source = conv_model("Net", "*batch 3 h w", "*batch 8 h w")
    assert shp101(analyse(source)) == []
    name, spec = parse_cli_shape("Net=5,2,3,16,16")
    assert shp101(analyse(source, cli_inputs={name: spec})) == []  # Conv2d takes no 5-D input: SHP104
    name, spec = parse_cli_shape("Net=2,3,16,16")
    (diagnostic,) = shp101(analyse(source, cli_inputs={name: spec}))
    assert "(h) is 8, but h=16" in diagnostic.message


def test_extra_parameters_share_the_batch_dims():
    source = textwrap.dedent("""\
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)

            def forward(self, x: Float[Tensor, "*batch 3 64 64"], y: Float[Tensor, "*batch 8 31 31"]) -> Float[Tensor, "*batch 8 32 32"]:
                return self.conv(x) + y
    """)
    result = analyse(source)
    assert [d.code for d in result.diagnostics if d.code.startswith("SHP1")] == ["SHP106"]
    model = torch_model(source, "Net")
    with pytest.raises(RuntimeError):
        model(torch.randn(2, 3, 64, 64), torch.randn(2, 8, 31, 31))


def test_shapes_show_the_batch_as_a_name():
    source = conv_model("Net", "*batch 3 64 64", "*batch 8 32 32")
    (model,) = analyse(source).models
    assert model.input == ("batch", 3, 64, 64)
    assert model.output == ("batch", 8, 32, 32) == model.declared_output


@st.composite
def conv_stacks(draw):
    """One or two Conv2d layers PyTorch accepts on a 3 x H x W input, a batch spelling, and
    whether the declared output is the true one or off by one in a spatial or channel dim."""
    height, width = draw(st.integers(8, 40)), draw(st.integers(8, 40))
    layers, channels, size = [], 3, [height, width]
    for _ in range(draw(st.integers(1, 2))):
        kernel, stride = draw(st.integers(1, 4)), draw(st.integers(1, 3))
        padding = draw(st.integers(0, kernel // 2))
        out = draw(st.sampled_from([4, 8]))
        size = [(s + 2 * padding - kernel) // stride + 1 for s in size]
        assume(min(size) >= 1)  # a model PyTorch runs
        layers.append(f"nn.Conv2d({channels}, {out}, kernel_size={kernel}, stride={stride}, padding={padding})")
        channels = out
    off = draw(st.sampled_from([None, 0, 1, 2]))  # which of (C, H, W) is declared wrong, if any
    batch = draw(st.sampled_from(["*batch", "...", "b", " *batch"]))  # (`#*batch`: jaxtyping needs numpy)
    return layers, (height, width), off, batch


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_stacks())
def test_conv_stacks_with_batch_dims_against_pytorch(case):
    layers, (height, width), off, batch = case
    body = ",\n                ".join(layers)
    source = HEADER + textwrap.dedent(f"""\
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(
                    {body}
                )

            def forward(self, x: Float[Tensor, "{batch} 3 {height} {width}"]) -> Float[Tensor, "OUT"]:
                return self.body(x)
    """)
    namespace = {}
    exec(compile(source.replace('"OUT"', '"..."'), "<model>", "exec"), namespace)  # noqa: S102
    real = namespace["Net"]()(torch.randn(2, 3, height, width))
    declared = list(real.shape[1:])
    if off is not None:
        declared[off] += 1
    out_dims = " ".join([batch.strip().lstrip("#")] + [str(d) for d in declared])
    result = analyze_source(source.replace('"OUT"', f'"{out_dims}"'), "model.py")
    reported = [d for d in result.diagnostics if d.code.startswith("SHP1") or d.code == "SHP002"]
    assert [d.code for d in reported] == ([] if off is None else ["SHP101"]), [d.message for d in reported]
    (model,) = result.models
    assert [2 if isinstance(d, str) else d for d in model.output] == list(real.shape)
    # jaxtyping's own check of the real run agrees with the verdict.
    with jaxtyped("context"):
        fits = isinstance(torch.randn(2, 3, height, width), Float[torch.Tensor, f"{batch} 3 {height} {width}"]) \
            and isinstance(real, Float[torch.Tensor, out_dims])
    assert fits is (off is None)
