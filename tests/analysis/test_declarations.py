"""shapelint.core.shapespec: pragmas, jaxtyping dims strings, CLI and config shapes.

jaxtyping itself is the oracle for the dims strings: which strings it accepts when an annotation
is built, how it reads each dim, and whether a tensor satisfies a set of annotations at run time
(``isinstance`` inside a ``jaxtyped`` context, the same check beartype/typeguard drive).
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from shapelint.core import symbolic
from shapelint.core.shapespec import (
    DeclarationError,
    ShapeSpec,
    VariadicDim,
    parse_cli_shape,
    parse_jaxtyping_dims,
    parse_pragma,
    parse_shape_tuple,
    shape_from_config,
)

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
torch = pytest.importorskip("torch", reason="torch is the oracle for jaxtyping checks")
jaxtyping = pytest.importorskip("jaxtyping", reason="jaxtyping is the oracle for dims strings")
from jaxtyping import AnnotationError, Float, jaxtyped  # noqa: E402
from support.jaxtyping_oracle import check_against_jaxtyping  # noqa: E402

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def one_line_error(fn, *args) -> str:
    with pytest.raises(DeclarationError) as info:
        fn(*args)
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message
    return message


# ------------------------------------------------------------------------------------------
# jaxtyping dims strings: examples


@pytest.mark.parametrize(
    "text, env, expected",
    [
        ("16 256 16 160 160", {}, (16, 256, 16, 160, 160)),
        (" b 3 h w", {}, ("b", 3, "h", "w")),
        ("b 3 h w ", {"h": 64}, ("b", 3, 64, "w")),
        ("b 3 2*h w//2", {"h": 32, "w": 64}, ("b", 3, 64, 32)),
        # Unbound names: the exact expressions of them (issue 13).
        ("b 3 2*h w//2", {}, ("b", 3, symbolic.parse("2*h"), symbolic.parse("w//2"))),
        ("dim-1 h+1", {"dim": 8, "h": 3}, (7, 4)),
        ("batch c=3 _ _w", {}, ("batch", 3, None, None)),
        ("#b #1 #4", {"b": 5}, (None, 1, None)),
        ("min(h,w) max(h,w)", {"h": 3, "w": 5}, (3, 5)),
        ("h/2", {"h": 6}, (3,)),
        ("h/2", {"h": 5}, (None,)),
        ("", {}, ()),
        ("... c", {}, None),
        ("*batch c h w", {}, None),
        ("*batch c 2*h", {"*batch": (4, 2), "h": 3}, (4, 2, "c", 6)),
        ("{n} c", {}, (None, "c")),
    ],
)
def test_jaxtyping_resolve(text, env, expected):
    assert parse_jaxtyping_dims(text).resolve(env) == expected


def test_leading_space_changes_nothing():
    assert parse_jaxtyping_dims(" b 3 h w").dims == parse_jaxtyping_dims("b 3 h w").dims
    assert parse_jaxtyping_dims(" b 3 h w").text == " b 3 h w"


def test_rank():
    assert parse_jaxtyping_dims("b c h w").rank == 4
    assert parse_jaxtyping_dims("b ... w").rank is None
    assert parse_jaxtyping_dims("b ... w").min_rank == 2


def test_match_binds_names_then_resolves_output():
    env = {}
    assert parse_jaxtyping_dims("b 3 h w").match((16, 3, 64, 48), env) is None
    assert env == {"b": 16, "h": 64, "w": 48}
    assert parse_jaxtyping_dims("b 3 2*h w//2").resolve(env) == (16, 3, 128, 24)


def test_match_reports_certain_mismatches():
    env = {}
    spec = parse_jaxtyping_dims("b 3 h w")
    message = spec.match((16, 4, 64, 64), env)
    assert message and "\n" not in message and "4" in message and "3" in message
    assert env == {}, "a failed match binds nothing, as jaxtyping restores its memo"
    assert spec.match((16, 3, 64), {}) is not None  # rank
    env = {"h": 32}
    assert "h" in spec.match((16, 3, 64, 64), env)
    assert parse_jaxtyping_dims("b 2*h").match((1, 65), {"h": 32}) is not None


def test_match_undecidable_is_none():
    env = {}
    spec = parse_jaxtyping_dims("b 3 h w")
    assert spec.match((None, None, 64, "w"), env) is None
    assert env == {"h": 64}
    assert spec.match(None, env) is None  # unknown rank
    assert parse_jaxtyping_dims("2*h").match((7,), {}) is None  # h unbound
    assert parse_jaxtyping_dims("{n}").match((7,), {}) is None
    assert parse_jaxtyping_dims("h").match(("h",), {"h": 3}) is None


def test_match_variadic_binds_tuple():
    env = {}
    assert parse_jaxtyping_dims("*batch c").match((2, 5, 3), env) is None
    assert env["*batch"] == (2, 5) and env["c"] == 3
    assert parse_jaxtyping_dims("*batch c").match((2, 6, 3), env) is not None
    assert parse_jaxtyping_dims("*batch 2*c").resolve(env) == (2, 5, 6)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("b, c", "commas"),
        ("b c#", "#"),
        ("b ...c", "..."),
        ("##b", "#"),
        ("**b", "*"),
        ("__b", "_"),
        ("*4", "fixed"),
        ("_4", "fixed"),
        ("#_", "anonymous"),
        ("_h+1", "anonymous"),
        ("*h+1", "multiple"),
        ("*a *b", "more than once"),
        ("... *b", "more than once"),
        ("2*", "expression"),
        ("a'b", "expression"),
        ("a=b=c", "expression"),
        ("}", "expression"),
    ],
)
def test_jaxtyping_rejects(text, fragment):
    message = one_line_error(parse_jaxtyping_dims, text)
    assert fragment in message


# ------------------------------------------------------------------------------------------
# jaxtyping dims strings against jaxtyping itself

TOKENS = [
    "b", "c", "h", "w", "batch", "3", "16", "0", "-1", "+2", "04", "1_0", "_", "_x", "__x",
    "...", "*b", "*_", "_*", "#b", "#3", "#_", "##b", "**b", "*4", "_4", "?b", "?4", "??b",
    "c=3", "=4", "x=*y", "b=_", "b=", "=", "*", "2*h", "h//2", "h-1", "2*", "h**2", "min(h,w)",
    "a,b", "b#", "..x", "*...", "a=b=c", "{n}", "}", "a'b", "(1", "#2*h", "?h+1", "_h+1",
    "*h+1", "h/2", "a.b", "x[0]", "٣", "é", "if", "\\n", "#*b", "*#b",
]
WS = st.sampled_from([" ", "  ", "\t", "\n", " \u3000 "])


@st.composite
def dims_strings(draw):
    tokens = draw(st.lists(st.sampled_from(TOKENS), max_size=5))
    seps = [draw(WS) for _ in tokens]
    lead = draw(st.sampled_from(["", " ", "  "]))
    trail = draw(st.sampled_from(["", " ", "\n"]))
    return lead + "".join(t + s for t, s in zip(tokens, seps)) + trail


RAW = st.text(alphabet="ab1_*#.=?,(){}'/+- \t", max_size=12)


@pytest.mark.parametrize("text", TOKENS + ["b 3 h w", " b 3 h w", "2 * h", "", "   "])
def test_each_token_like_jaxtyping(text):
    check_against_jaxtyping(text)


@SETTINGS
@given(dims_strings())
def test_dims_strings_like_jaxtyping(text):
    check_against_jaxtyping(text)


@SETTINGS
@given(RAW)
@example("#")
@example("a=")
@example("(a,b)")
@example("'*1#1")
@example("/{()}")  # a field of literals formatted into the expression: jaxtyping evaluates "/()"
def test_raw_strings_like_jaxtyping(text):
    check_against_jaxtyping(text)


# Runtime: whether tensors satisfy a sequence of annotations sharing one memo.

MATCH_TOKENS = [
    "a", "b", "c", "1", "2", "3", "_", "#a", "#2", "c=2", "a+1", "2*b", "a*b", "b//2", "a-1",
    "...", "*v", "*_", "min(a,b)", "b/2",
]


@st.composite
def match_cases(draw):
    specs = []
    for _ in range(draw(st.integers(1, 3))):
        tokens = draw(st.lists(st.sampled_from(MATCH_TOKENS), max_size=4))
        if sum(t in ("...", "*v", "*_") for t in tokens) > 1:
            tokens = [t for t in tokens if t not in ("...", "*v", "*_")]
        rank_choices = [len([t for t in tokens if t not in ("...", "*v", "*_")])]
        if len(rank_choices) and len(tokens) != rank_choices[0]:
            rank_choices += [rank_choices[0] + 1, rank_choices[0] + 2]
        rank = draw(st.sampled_from(rank_choices + [max(0, rank_choices[0] - 1)]))
        shape = tuple(draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank)))
        specs.append((" ".join(tokens), shape))
    return specs


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(match_cases())
@example([("a b", (2, 3)), ("b a", (3, 2))])
@example([("a b", (2, 3)), ("b a", (2, 3))])
@example([("a 2*a", (2, 4))])
@example([("*v c", (2, 3, 4)), ("*v", (2, 3))])
@example([("*v c", (2, 3, 4)), ("*v", (2, 4))])
@example([("#a a", (1, 3))])
def test_match_like_jaxtyping_runtime(cases):
    theirs = True
    try:
        with jaxtyped("context"):
            for text, shape in cases:
                if not isinstance(torch.zeros(shape), Float[torch.Tensor, text]):
                    theirs = False
                    break
    except AnnotationError:
        assume(False)  # an expression of a name jaxtyping has not bound yet: not decidable
    env = {}
    ours = True
    for text, shape in cases:
        message = parse_jaxtyping_dims(text).match(shape, env)
        if message is not None:
            assert "\n" not in message
            ours = False
            break
    event("mismatch" if not theirs else "match")
    assert ours == theirs, (cases, env)


def typechecked_function(texts):
    """A function whose parameters carry the annotations, checked by jaxtyping's decorator with
    its bundled typeguard, as a user would run it."""
    typeguard = pytest.importorskip(
        "jaxtyping._typeguard", reason="jaxtyping without its bundled typeguard"
    )
    names = [f"a{i}" for i in range(len(texts))]
    namespace = {f"T{i}": Float[torch.Tensor, text] for i, text in enumerate(texts)}
    params = ", ".join(f"{n}: T{i}" for i, n in enumerate(names))
    exec(f"def f({params}):\n    return None\n", namespace)  # noqa: S102 - test-built signature
    return jaxtyped(typechecker=typeguard.typechecked)(namespace["f"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(match_cases())
@example([("a b", (2, 3)), ("b 2*a", (3, 4))])
@example([("a b", (2, 3)), ("b 2*a", (3, 5))])
def test_match_like_a_typechecked_function(cases):
    function = typechecked_function([text for text, _ in cases])
    try:
        function(*(torch.zeros(shape) for _, shape in cases))
        theirs = True
    except AnnotationError:
        assume(False)  # an expression of a name not bound yet: jaxtyping cannot decide either
    except Exception as error:  # noqa: BLE001 - typeguard's TypeCheckError
        assert "TypeCheckError" in type(error).__name__, error
        theirs = False
    env = {}
    ours = all(parse_jaxtyping_dims(text).match(shape, env) is None for text, shape in cases)
    assert ours == theirs, (cases, env)


@SETTINGS
@given(match_cases())
def test_resolve_agrees_with_match(cases):
    """A shape that matches resolves, under the bindings, to itself wherever it is known."""
    env = {}
    for text, shape in cases:
        spec = parse_jaxtyping_dims(text)
        if spec.match(shape, env) is not None:
            return
        resolved = spec.resolve(env)
        if resolved is None:
            assert spec.rank is None
            continue
        assert len(resolved) == len(shape)
        for r, s in zip(resolved, shape):
            assert r is None or symbolic.is_symbolic(r) or r == s or (r == 1 and s == 1), (text, shape, env)


# ------------------------------------------------------------------------------------------
# Tuple literals


@pytest.mark.parametrize(
    "text, expected",
    [
        ("(16, 256, 16, 160, 160)", (16, 256, 16, 160, 160)),
        ("[b, 3, h, w]", ("b", 3, "h", "w")),
        ("(1, 3, 2*h, w)", (1, 3, symbolic.parse("2*h"), "w")),
        ("(16,)", (16,)),
        ("(16)", (16,)),
        ("()", ()),
        ("(None, 3, _, 2*80)", (None, 3, None, 160)),
        (" ( 1 ,\t2 ) ", (1, 2)),
    ],
)
def test_parse_shape_tuple(text, expected):
    spec = parse_shape_tuple(text)
    assert spec.text == text
    assert spec.resolve({}) == expected


def test_parse_shape_tuple_expressions_and_variadics():
    assert parse_shape_tuple("(1, 3, 2*h, w)").resolve({"h": 8, "w": 5}) == (1, 3, 16, 5)
    assert parse_shape_tuple("(b, ..., c)").rank is None
    spec = parse_shape_tuple("(*batch, c)")
    assert spec.dims[0] == VariadicDim("batch")
    env = {}
    assert parse_shape_tuple("(b, 3, h, w)").match((16, 3, 64, 64), env) is None
    assert parse_shape_tuple("(b, 3, 2*h, w)").match((16, 3, 128, 64), env) is None
    assert parse_shape_tuple("(b, 3, 2*h, w)").match((16, 3, 127, 64), env) is not None


@pytest.mark.parametrize(
    "text",
    ["", "(1.5, 2)", "('a', 2)", "(1, -2)", "(f(x),)", "(x.y,)", "((1, 2),)",
     "(1, 2", "(1, 2))", "{1, 2}", "(1, ..., ...)", "(*a, *b)", "(True,)", "(1 if x else 2,)",
     "(lambda: 1,)", "(1, 2) junk", "[*(1, 2)]", "(x=1)", "\x00"],
)
def test_parse_shape_tuple_rejects(text):
    one_line_error(parse_shape_tuple, text)


SIZES = st.one_of(
    st.integers(0, 4096),
    st.sampled_from(["b", "h", "w", "_", "2*h", "h//2", "dim-1", "None", "..."]),
)


@SETTINGS
@given(st.lists(SIZES, max_size=6), st.sampled_from(["()", "[]"]), st.sampled_from([", ", ",", " , "]))
def test_tuple_round_trip(items, brackets, sep):
    if sum(i == "..." for i in items) > 1:
        items = [i for i in items if i != "..."]
    sizes = [i for i in items if isinstance(i, int)]
    # No tensor holds more than 2**63 - 1 elements: such a shape is SHP002 (test_jaxtyping_rules).
    assume(0 in sizes or math.prod(sizes) <= 2**63 - 1)
    body = sep.join(str(i) for i in items)
    if brackets == "()" and len(items) == 1:
        body += ","
    text = brackets[0] + body + brackets[1]
    spec = parse_shape_tuple(text)
    env = {"h": 8, "w": 6, "dim": 3}
    resolved = spec.resolve(env)
    if "..." in items:
        assert resolved is None
        return
    expected = []
    for i in items:
        if isinstance(i, int):
            expected.append(i)
        elif i in ("_", "None"):
            expected.append(None)
        elif i == "b":
            expected.append("b")
        else:
            expected.append(eval(i, {}, dict(env)))  # test-only oracle for the arithmetic
    assert resolved == tuple(expected)


@SETTINGS
@given(st.text(max_size=30))
def test_parse_shape_tuple_never_crashes(text):
    try:
        spec = parse_shape_tuple(text)
    except DeclarationError as e:
        assert "\n" not in str(e)
    else:
        assert isinstance(spec, ShapeSpec)


# ------------------------------------------------------------------------------------------
# Pragmas


@pytest.mark.parametrize(
    "comment, expected",
    [
        (
            "# shapelint: input=(16, 256, 16, 160, 160) output=(16, 256, 16, 224, 224)",
            {"input": (16, 256, 16, 160, 160), "output": (16, 256, 16, 224, 224)},
        ),
        ("# shapelint: output=(16, 256, 32, 320, 320)", {"output": (16, 256, 32, 320, 320)}),
        ("#shapelint:input=[b, 3, h, w]", {"input": ("b", 3, "h", "w")}),
        ("#  shapelint :  input = (1, 3)  ", {"input": (1, 3)}),
        ("# shapelint: output=(1, 4)  # noqa: SHP101", {"output": (1, 4)}),
        ("# noqa: E501  # shapelint: input=(2, 3)", {"input": (2, 3)}),
        ("# shapelint: input=(1, 3, 2*h, w)", {"input": (1, 3, symbolic.parse("2*h"), "w")}),
    ],
)
def test_parse_pragma(comment, expected):
    result = parse_pragma(comment)
    assert {k: v.resolve({}) for k, v in result.items()} == expected


@pytest.mark.parametrize(
    "comment",
    ["# a comment", "#", "", "# shapelint cannot see this", "# type: ignore", "# noqa: SHP101",
     "# see shapelint docs", "# shapelinter: input=(1,)"],
)
def test_not_a_pragma(comment):
    assert parse_pragma(comment) is None


@pytest.mark.parametrize(
    "comment, fragment",
    [
        ("# shapelint:", "no key"),
        ("# shapelint: shape=(1, 2)", "unknown key"),
        ("# shapelint: Input=(1, 2)", "unknown key"),
        ("# shapelint: input=(1, 2", "unclosed"),
        ("# shapelint: input=1, 2", "tuple"),
        ("# shapelint: input", "="),
        ("# shapelint: input=(1.5, 2)", "1.5"),
        ("# shapelint: input=(1, 2) junk", "junk"),
        ("# shapelint: input=(1, 2)junk", "junk"),
        ("# shapelint: input=(1, 2) input=(3,)", "twice"),
        ("# shapelint: input=(1, -2)", "negative"),
        ("# shapelint: output=(a b)", "output"),
        ("# shapelint: input=", "tuple"),
    ],
)
def test_malformed_pragma(comment, fragment):
    assert fragment in one_line_error(parse_pragma, comment)


@SETTINGS
@given(st.text(alphabet="inputo=()[], 0123456789bhw*#_.:x\t", max_size=40))
def test_pragma_never_crashes(body):
    for comment in ("# shapelint:" + body, "# shapelint: " + body, "#" + body):
        try:
            result = parse_pragma(comment)
        except DeclarationError as e:
            assert "\n" not in str(e)
        else:
            assert result is None or (result and set(result) <= {"input", "output"})


@SETTINGS
@given(
    st.lists(st.integers(0, 999), min_size=1, max_size=5),
    st.lists(st.sampled_from(["b", "h", "w"]) | st.integers(1, 64).map(str), max_size=5),
)
def test_pragma_round_trip(input_shape, output_dims):
    out = "[" + ", ".join(output_dims) + "]"
    result = parse_pragma(f"# shapelint: input={tuple(input_shape)!r} output={out}")
    assert result["input"].resolve({}) == tuple(input_shape)
    assert result["output"].resolve({}) == tuple(int(d) if d.isdigit() else d for d in output_dims)


# ------------------------------------------------------------------------------------------
# CLI


@pytest.mark.parametrize(
    "text, name, expected",
    [
        ("Upsampler=16,256,16,160,160", "Upsampler", (16, 256, 16, 160, 160)),
        ("path/to/file.py::Upsampler=16,3", "path/to/file.py::Upsampler", (16, 3)),
        ("decoder=(1, 3, 64, 64)", "decoder", (1, 3, 64, 64)),
        ("Net=b,3,h,w", "Net", ("b", 3, "h", "w")),
        ("Net=16", "Net", (16,)),
        ("Net=[1, 2]", "Net", (1, 2)),
        ("Net= 1, 2 ", "Net", (1, 2)),
        ("C:/x/y.py::Net=1,2", "C:/x/y.py::Net", (1, 2)),
    ],
)
def test_parse_cli_shape(text, name, expected):
    got_name, spec = parse_cli_shape(text)
    assert got_name == name and spec.resolve({}) == expected


@pytest.mark.parametrize(
    "text",
    ["Upsampler", "=16,3", "Net=", "Net=16,,3", "Net=16,3,", "Net=a b", "1Net=1", "Net=1.5",
     "file.py::=1", "::Net=1", "Net=(1,2", "Net=16;3", "Ne t=1", "Net=-1,2"],
)
def test_malformed_cli_shape(text):
    one_line_error(parse_cli_shape, text)


@SETTINGS
@given(st.text(max_size=30))
def test_cli_never_crashes(text):
    try:
        name, spec = parse_cli_shape(text)
    except DeclarationError as e:
        assert "\n" not in str(e)
    else:
        assert name and isinstance(spec, ShapeSpec)


# ------------------------------------------------------------------------------------------
# Config


def test_shape_from_config():
    assert shape_from_config([16, 256, 16, 160, 160]).resolve({}) == (16, 256, 16, 160, 160)
    spec = shape_from_config([16, "b", "2*h", "_"])
    assert spec.resolve({"h": 4}) == (16, "b", 8, None)
    assert shape_from_config(["...", "c"]).rank is None
    assert shape_from_config("b 3 h w").resolve({}) == ("b", 3, "h", "w")
    assert shape_from_config("(1, 2)").resolve({}) == (1, 2)


@pytest.mark.parametrize(
    "value", [16, None, {"a": 1}, [1.5], [True], [[1, 2]], ["a b"], ["b,"], [-1], ["...", "*x"], ["2*"]]
)
def test_malformed_config(value):
    one_line_error(shape_from_config, value)


# ------------------------------------------------------------------------------------------
# ShapeSpec itself


def test_shape_spec_from_text_alone():
    assert ShapeSpec("(1, 2)") == parse_shape_tuple("(1, 2)")
    assert ShapeSpec("b c") == parse_jaxtyping_dims("b c")
    with pytest.raises(DeclarationError):
        ShapeSpec("b, c")
    assert hash(ShapeSpec("b c")) == hash(parse_jaxtyping_dims("b c"))


def test_no_torch_or_libcst_import():
    """The module itself imports neither torch nor libcst (the ``shapelint.analysis`` package's
    ``__init__`` is bypassed: it may load the engine, which is not this module's doing)."""
    code = (
        "import os, sys, types, shapelint\n"
        "pkg = types.ModuleType('shapelint.analysis')\n"
        "pkg.__path__ = [os.path.join(shapelint.__path__[0], 'analysis')]\n"
        "sys.modules['shapelint.analysis'] = pkg\n"
        "import shapelint.core.shapespec as d\n"
        "d.parse_pragma('# shapelint: input=(1, 2)'); d.parse_jaxtyping_dims('b 2*h')\n"
        "bad = [m for m in ('torch', 'libcst', 'numpy') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
