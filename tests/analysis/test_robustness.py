"""Robustness of `shapelint check` / `shapelint shapes` on files people actually have: syntax
errors, bad encodings, empty files, very long files, malformed declarations. A clear diagnostic
(SHP001/SHP002) or nothing, never a traceback; exit codes per CONTRACT.md section 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.cli import check_json, run_cli, shapes_json
from support.real_models import load_cases

cases = load_cases()

MODEL = '''\
import torch
from torch import nn


class Net(nn.Module):  # shapelint: input=(2, 3, 32, 32) output=(2, 10)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 16 * 16, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv(x)))
        return self.fc(x.flatten(1))
'''

BROKEN_MODEL = MODEL.replace("nn.Linear(8 * 16 * 16, 10)", "nn.Linear(8 * 15 * 15, 10)")
BROKEN_LINE = 10  # the Linear


#: The files are model files: the runner skips files that do not mention torch and nn at all.
PRELUDE = "import torch\nfrom torch import nn\n"


def write(directory, name, content) -> str:
    path = os.path.join(str(directory), name)
    mode = "wb" if isinstance(content, bytes) else "w"
    with open(path, mode) as f:
        f.write(content)
    return path


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr


def codes_rows(diagnostics):
    return sorted((d["code"], d["location"]["row"]) for d in diagnostics)


# --------------------------------------------------------------------------------------------
# Sanity: the fixtures mean what they say (PyTorch decides)


def test_fixture_models_per_pytorch(tmp_path):
    from support.torch_oracle import trace

    good = trace(write(tmp_path, "good.py", MODEL), lambda m: m.Net(), [(2, 3, 32, 32)])
    bad = trace(write(tmp_path, "bad.py", BROKEN_MODEL), lambda m: m.Net(), [(2, 3, 32, 32)])
    assert good.ok and good.output == (2, 10)
    assert not bad.ok and bad.failing_module == "fc"
    assert bad.lines["fc"] == BROKEN_LINE


def test_baseline_model_is_clean_and_broken_model_is_reported(tmp_path):
    code, diagnostics, stderr = check_json(write(tmp_path, "good.py", MODEL))
    assert (code, diagnostics) == (0, []), stderr
    code, diagnostics, stderr = check_json(write(tmp_path, "bad.py", BROKEN_MODEL))
    assert code == 1 and ("SHP102", BROKEN_LINE) in codes_rows(diagnostics), diagnostics


# --------------------------------------------------------------------------------------------
# Unreadable files


@pytest.mark.parametrize(
    "content",
    [
        PRELUDE + "class Net(nn.Module:\n    pass\n",
        PRELUDE + "def forward(self, x)\n    return x\n",
        PRELUDE + "x = (\n",
        PRELUDE + "class A:\n\tdef f(self):\n        return 1\n",  # inconsistent tabs
        PRELUDE.encode() + b"x = 1\x00\n",  # NUL byte
    ],
    ids=["bad-class", "missing-colon", "unclosed", "tabs", "nul"],
)
def test_syntax_error_is_shp001(tmp_path, content):
    path = write(tmp_path, "broken.py", content)
    code, diagnostics, stderr = check_json(path)
    no_traceback(stderr)
    assert [d["code"] for d in diagnostics] == ["SHP001"], diagnostics
    assert code == 1
    assert "\n" not in diagnostics[0]["message"]
    assert diagnostics[0]["location"]["row"] >= 1 and diagnostics[0]["location"]["column"] >= 1


def test_too_deeply_nested_for_cpython(tmp_path):
    """CPython refuses 300 nested parentheses (older versions may not). SHP001 or nothing, no crash."""
    path = write(tmp_path, "nested.py", PRELUDE + "x = " + "(" * 300 + ")" * 300 + "\n")
    code, diagnostics, stderr = check_json(path)
    no_traceback(stderr)
    assert [d["code"] for d in diagnostics] in ([], ["SHP001"]), diagnostics
    assert code == (1 if diagnostics else 0)


def test_an_expression_too_deep_for_the_parser_is_one_shp001(tmp_path):
    """A 50,000-term sum makes CPython's parser raise RecursionError: one SHP001 that says so."""
    path = write(tmp_path, "deep.py", PRELUDE + "x = " + "+".join(["1"] * 50_000) + "\n")
    code, diagnostics, stderr = check_json(path)
    no_traceback(stderr)
    if diagnostics:  # a parser that copes is fine too
        [d] = diagnostics
        assert d["code"] == "SHP001" and d["message"] == "cannot parse file: nested too deeply for Python's parser"
    assert code == (1 if diagnostics else 0)


def test_syntax_error_position(tmp_path):
    path = write(tmp_path, "broken.py", PRELUDE + "x = 1\ny = (2,\nz = 3 +\n")
    code, diagnostics, stderr = check_json(path)
    (d,) = diagnostics
    assert d["code"] == "SHP001" and 4 <= d["location"]["row"] <= 6, d


def test_non_utf8_file_is_shp001(tmp_path):
    path = write(tmp_path, "latin.py", (PRELUDE + "# caf\xe9\n").encode("latin-1"))
    code, diagnostics, stderr = check_json(path)
    no_traceback(stderr)
    assert [d["code"] for d in diagnostics] == ["SHP001"] and code == 1, diagnostics


def test_declared_encoding_is_honoured(tmp_path):
    source = "# -*- coding: latin-1 -*-\n# caf\xe9\n" + MODEL
    path = write(tmp_path, "latin.py", source.encode("latin-1"))
    code, diagnostics, stderr = check_json(path)
    assert (code, diagnostics) == (0, []), (diagnostics, stderr)
    bad = write(tmp_path, "latin_bad.py", ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + BROKEN_MODEL).encode("latin-1"))
    code, diagnostics, stderr = check_json(bad)
    assert ("SHP102", BROKEN_LINE + 2) in codes_rows(diagnostics), diagnostics


def test_utf8_bom_and_crlf(tmp_path):
    path = write(tmp_path, "bom.py", b"\xef\xbb\xbf" + BROKEN_MODEL.replace("\n", "\r\n").encode())
    code, diagnostics, stderr = check_json(path)
    no_traceback(stderr)
    assert ("SHP102", BROKEN_LINE) in codes_rows(diagnostics), diagnostics


def test_unreadable_file_does_not_stop_the_others(tmp_path):
    write(tmp_path, "a_broken.py", PRELUDE + "class Net(nn.Module:\n")
    write(tmp_path, "b_bad_model.py", BROKEN_MODEL)
    write(tmp_path, "c_latin.py", PRELUDE.encode() + b"# \xff\xfe\x00junk\n")
    code, diagnostics, stderr = check_json(str(tmp_path))
    no_traceback(stderr)
    by_file = {}
    for d in diagnostics:
        by_file.setdefault(os.path.basename(d["filename"]), []).append(d["code"])
    assert by_file.get("a_broken.py") == ["SHP001"], by_file
    assert by_file.get("c_latin.py") == ["SHP001"], by_file
    assert "SHP102" in by_file.get("b_bad_model.py", []), by_file
    assert code == 1


def test_shapes_on_unreadable_file(tmp_path):
    path = write(tmp_path, "broken.py", PRELUDE + "class Net(nn.Module:\n")
    result = run_cli("shapes", path, "--format", "json")
    no_traceback(result.stderr)
    assert result.json() == {"models": []}
    assert result.code == 1 and "SHP001" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------------------------
# Nothing to check


def test_empty_file(tmp_path):
    path = write(tmp_path, "empty.py", "")
    code, diagnostics, stderr = check_json(path)
    assert (code, diagnostics) == (0, []), stderr
    code, data, stderr = shapes_json(path)
    assert (code, data) == (0, {"models": []}), stderr


def test_whitespace_and_comment_only_files(tmp_path):
    for name, content in [("ws.py", "\n\n   \n"), ("comments.py", "# shapelint is here\n# nn.Conv2d\n")]:
        code, diagnostics, stderr = check_json(write(tmp_path, name, content))
        assert (code, diagnostics) == (0, []), (name, stderr)


def test_directory_without_python_files(tmp_path):
    write(tmp_path, "notes.txt", "nothing")
    result = run_cli("check", str(tmp_path), "--format", "json", "--no-cache")
    assert result.code == 0, result.stderr
    assert result.stdout.strip() in ("", "[]")


def test_model_without_declared_input_is_not_guessed(tmp_path):
    source = MODEL.replace("  # shapelint: input=(2, 3, 32, 32) output=(2, 10)", "")
    code, diagnostics, stderr = check_json(write(tmp_path, "nodecl.py", source))
    assert (code, diagnostics) == (0, []), diagnostics
    # the Linear's in_features needs the input size: without one, nothing is certain
    code, diagnostics, stderr = check_json(
        write(tmp_path, "nodecl_bad.py", BROKEN_MODEL.replace("  # shapelint: input=(2, 3, 32, 32) output=(2, 10)", ""))
    )
    assert (code, diagnostics) == (0, []), diagnostics


# --------------------------------------------------------------------------------------------
# A very long file


def long_file(models: int, broken_at: int = -1):
    """A file of ``models`` small models (25 lines each); the one at ``broken_at`` has a Linear
    with the wrong in_features. Returns the source and the broken Linear's line."""
    parts = ['"""Generated: many models."""\n', "import torch\n", "from torch import nn\n", "\n"]
    line = len(parts) + 1
    broken_line = None
    for i in range(models):
        size = 8 * (1 + i % 4)
        features = 4 * (size // 2) * (size // 2) + (1 if i == broken_at else 0)
        block = f'''

# shapelint: input=(1, 2, {size}, {size}) output=(1, 3)
class Net{i}(nn.Module):
    """Model number {i}."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear({features}, 16),
            nn.ReLU(),
            nn.Linear(16, 3),
        )

    def forward(self, x):
        x = self.conv(x)
        x = self.bn(x)
        x = torch.relu(x)
        x = self.pool(x)
        return self.head(x)

'''
        if i == broken_at:
            broken_line = line + block.splitlines().index(f"            nn.Linear({features}, 16),")
        parts.append(block)
        line += block.count("\n")
    return "".join(parts), broken_line


def test_ten_thousand_line_file(tmp_path):
    source, broken_line = long_file(400, broken_at=397)
    assert source.count("\n") >= 10_000
    path = write(tmp_path, "long.py", source)
    start = time.monotonic()
    code, diagnostics, stderr = check_json(path)
    elapsed = time.monotonic() - start
    no_traceback(stderr)
    assert codes_rows(diagnostics) == [("SHP102", broken_line)], diagnostics[:5]
    assert code == 1
    assert elapsed < 30, f"{elapsed:.1f}s for {source.count(chr(10))} lines"
    code, data, stderr = shapes_json(path)
    assert len(data["models"]) == 400
    by_name = {m["name"]: m for m in data["models"]}
    assert by_name["Net5"]["output"] == [1, 3], by_name["Net5"]


def test_long_file_models_per_pytorch(tmp_path):
    """The generated models are what the test above assumes (a sample, in PyTorch)."""
    from support.torch_oracle import trace

    source, broken_line = long_file(8, broken_at=5)
    path = write(tmp_path, "long.py", source)
    for i in range(8):
        size = 8 * (1 + i % 4)
        t = trace(path, lambda m, i=i: getattr(m, f"Net{i}")(), [(1, 2, size, size)])
        if i == 5:
            assert not t.ok and t.failing_module == "head.1" and t.lines["head.1"] == broken_line
        else:
            assert t.ok and t.output == (1, 3)


# --------------------------------------------------------------------------------------------
# Malformed declarations: SHP002 where they are written (malformed pragmas: the cases
# tests/cases/declarations/malformed_pragma_*.py)


ANNOTATED = '''\
import torch
from jaxtyping import Float
from torch import Tensor, nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)

    def forward(self, x: Float[Tensor, "{dims}"]) -> Float[Tensor, "b 8 h w"]:
        return self.conv(x)
'''


@pytest.mark.parametrize("dims", ["b, 3, h, w", "b 3 h w#", "b *c *d w", "b 3 2* w", "b ...3 w"])
def test_malformed_annotation_is_shp002(tmp_path, dims):
    jaxtyping = pytest.importorskip("jaxtyping")
    import torch

    # jaxtyping itself rejects the string (construction, or evaluating the expression)
    with pytest.raises(Exception):
        annotation = jaxtyping.Float[torch.Tensor, dims]
        with jaxtyping.jaxtyped("context"):
            isinstance(torch.zeros(1, 3, 4, 4), annotation)
    path = write(tmp_path, "net.py", ANNOTATED.format(dims=dims))
    code, diagnostics, stderr = check_json(path)
    no_traceback(stderr)
    assert ("SHP002", 11) in codes_rows(diagnostics), diagnostics
    assert code == 1


def test_valid_annotation_is_not_shp002(tmp_path):
    path = write(tmp_path, "net.py", ANNOTATED.format(dims=" b 3 h w"))
    code, diagnostics, stderr = check_json(path)
    assert (code, diagnostics) == (0, []), diagnostics


@pytest.mark.parametrize("value", ["Net", "Net=", "Net=1,,2", "Net=1.5,2", "=1,2", "Net=(1,2"])
def test_malformed_cli_shape_is_usage_error(tmp_path, value):
    path = write(tmp_path, "net.py", MODEL)
    for command in ("check", "shapes"):
        result = run_cli(command, path, "--input", value)
        no_traceback(result.stderr)
        assert result.code == 2, (command, value, result)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_malformed_config_shape_is_usage_error(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.shapelint.inputs]\n"Net" = [2, 3.5, 32]\n')
    path = write(tmp_path, "net.py", MODEL)
    result = run_cli("check", path, "--no-cache")
    no_traceback(result.stderr)
    assert result.code == 2 and len(result.stderr.strip().splitlines()) == 1, result


# --------------------------------------------------------------------------------------------
# Damaged real models: whatever is left of a file, never a traceback


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(cases.FILES), st.randoms(use_true_random=False), st.integers(1, 40))
def test_damaged_models_never_crash(tmp_path, file, rng, width):
    with open(os.path.join(cases.MODELS_DIR, file)) as f:
        source = f.read()
    start = rng.randrange(len(source))
    damaged = source[:start] + source[start + width:]
    path = write(tmp_path, file, damaged)
    code, diagnostics, stderr = check_json(path)
    no_traceback(stderr)
    assert code in (0, 1)
    assert (code == 1) == bool(diagnostics)
    for d in diagnostics:
        assert d["code"].startswith("SHP") and "\n" not in d["message"]


def test_cli_as_a_subprocess_has_no_traceback(tmp_path):
    """The installed entry point, end to end: exit status and clean stderr."""
    write(tmp_path, "broken.py", PRELUDE + "class Net(nn.Module:\n")
    write(tmp_path, "bad.py", BROKEN_MODEL)
    proc = subprocess.run(
        [sys.executable, "-m", "shapelint", "check", str(tmp_path), "--format", "json", "--no-cache"],
        capture_output=True, text=True, timeout=120,
    )
    no_traceback(proc.stderr)
    assert proc.returncode == 1
    assert {d["code"] for d in __import__("json").loads(proc.stdout)} >= {"SHP001", "SHP102"}


def test_stdin(tmp_path):
    """`-` reads stdin: nothing on it is a clean exit 0; a broken model on it is exit 1."""
    command = [sys.executable, "-m", "shapelint", "check", "-", "--format", "json"]
    proc = subprocess.run(command, input=b"", capture_output=True, timeout=120, cwd=str(tmp_path))
    no_traceback(proc.stderr.decode())
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(
        command, input=BROKEN_MODEL.encode(), capture_output=True, timeout=120, cwd=str(tmp_path)
    )
    no_traceback(proc.stderr.decode())
    assert proc.returncode == 1, proc.stderr
    assert ("SHP102", BROKEN_LINE) in codes_rows(__import__("json").loads(proc.stdout))


DYNAMIC = '''\
from collections import OrderedDict

import torch
from torch import nn

CONFIG = {"channels": [3, 8, 16], "kernel": 3}


def conv_block(cin, cout, **kwargs):
    return nn.Sequential(nn.Conv2d(cin, cout, **kwargs), nn.ReLU())


class Dynamic(nn.Module):  # shapelint: input=(2, 3, 16, 16) output=(2, 10)
    def __init__(self, config=CONFIG, **kwargs):
        super().__init__()
        chans = config["channels"]
        for i, (cin, cout) in enumerate(zip(chans, chans[1:])):
            setattr(self, f"conv{i}", conv_block(cin, cout, kernel_size=config["kernel"], padding=1))
        self.layers = nn.Sequential(OrderedDict([("pool", nn.AdaptiveAvgPool2d(1)), ("flat", nn.Flatten())]))
        args = (chans[-1], 10)
        self.head = nn.Linear(*args, **kwargs)
        self.act = getattr(nn, "GELU")()

    def forward(self, x):
        for i in range(2):
            x = getattr(self, f"conv{i}")(x)
        x = self.layers(x)
        return self.act(self.head(x))
'''


def test_dynamic_code_is_not_guessed(tmp_path):
    """Layers built through setattr, **kwargs, getattr and OrderedDicts: whatever shapelint
    cannot follow, it must not report a model PyTorch runs with its declared shapes."""
    from support.torch_oracle import trace

    path = write(tmp_path, "dynamic.py", DYNAMIC)
    t = trace(path, lambda m: m.Dynamic(), [(2, 3, 16, 16)])
    assert t.ok and t.output == (2, 10), t.error
    code, diagnostics, stderr = check_json(path)
    no_traceback(stderr)
    assert not [d for d in diagnostics if d["code"][:4] in ("SHP1", "SHP0")], diagnostics
    code, data, stderr = shapes_json(path)
    no_traceback(stderr)
    for model in data["models"]:
        for layer in model["layers"]:
            if layer["name"] in t.outputs and layer.get("output") is not None:
                known = [(a, b) for a, b in zip(layer["output"], t.outputs[layer["name"]]) if isinstance(a, int)]
                assert all(a == b for a, b in known), (layer, t.outputs[layer["name"]])
