"""Constructor arguments given explicitly (``--init``, ``[tool.shapelint.init]``, the
``init(...)`` pragma): every layer of a model whose ``__init__`` has no defaults is PyTorch's,
the sources take precedence as declarations do, and bad arguments are one-line errors (exit 2)
or SHP002."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from shapelint.frontends.cli import main

torch = pytest.importorskip("torch")

CASES = Path(__file__).resolve().parent.parent / "cases" / "init"
COMMAND_LINE = CASES / "unet_arguments_on_the_command_line.py"
INIT = "--init=UNet=3, n_classes=2, bilinear=True"


def run(argv: List[str], cwd: Optional[Path] = None) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    directory = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        os.chdir(directory)
    return code, out.getvalue(), err.getvalue()


def torch_layers(path: Path, build: str, shape) -> Dict[str, Optional[List[int]]]:
    """Each named module's first output in PyTorch."""
    namespace: Dict[str, object] = {"__name__": "init_case"}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True), namespace)  # noqa: S102
    model = eval(build, namespace)  # noqa: S307 - the test's own expression
    seen: Dict[str, Optional[List[int]]] = {}
    hooks = []
    for name, module in model.named_modules():
        def hook(mod, args, output, name=name):
            seen.setdefault(name, list(output.shape) if isinstance(output, torch.Tensor) else None)
        hooks.append(module.register_forward_hook(hook))
    with torch.no_grad():
        model.eval()(torch.randn(*shape))
    for handle in hooks:
        handle.remove()
    return {name: seen.get(name) for name, _ in model.named_modules()}


def shapelint_layers(path: Path, extra: List[str], cwd: Optional[Path] = None) -> Dict[str, Optional[List[int]]]:
    code, out, err = run(["shapes", "--no-cache", "--format", "json", *extra, str(path)], cwd)
    assert code == 0, err
    models = {m["name"]: m for m in json.loads(out)["models"]}
    layers = {layer["name"]: layer["output"] for layer in models["UNet"]["layers"]}
    layers[""] = models["UNet"]["output"]
    return layers


def assert_every_layer_is_pytorchs(got, expected) -> None:
    assert [n for n in got if n] == [n for n in expected if n]  # named_modules(), in order
    for layer, want in expected.items():
        assert got.get(layer) == want, f"{layer}: shapelint {got.get(layer)}, PyTorch {want}"


def unet_file(directory: Path, class_line: str = "class UNet(nn.Module):", tail: str = "") -> Path:
    """The U-Net of the cases, with another class line and code after it."""
    lines = COMMAND_LINE.read_text(encoding="utf-8").splitlines()
    lines = [class_line if line == "class UNet(nn.Module):" else line for line in lines if not line.startswith("#")]
    path = directory / "unet.py"
    path.write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")
    return path


def pyproject(directory: Path, init: str, inputs: str = '"UNet" = [1, 3, 32, 32]') -> None:
    (directory / "pyproject.toml").write_text(
        f"[tool.shapelint.inputs]\n{inputs}\n\n[tool.shapelint.init]\n{init}\n", encoding="utf-8")


# --------------------------------------------------------------------------- layer by layer


@pytest.mark.parametrize("case, build, extra", [
    ("unet_arguments_on_the_command_line.py", "UNet(3, n_classes=2, bilinear=True)",
     ["--input", "UNet=1,3,32,32", INIT]),
    ("unet_arguments_in_a_pragma.py", "UNet(3, n_classes=2, bilinear=False)", []),
    ("unet_arguments_in_a_pragma_above.py", "UNet(3, 2, True)", ["--input", "UNet=1,3,32,32"]),
])
def test_every_layer_of_a_model_built_with_explicit_arguments_is_pytorchs(case, build, extra):
    path = CASES / case
    assert_every_layer_is_pytorchs(shapelint_layers(path, extra), torch_layers(path, build, (1, 3, 32, 32)))


def test_without_arguments_the_output_channels_are_unknown():
    layers = shapelint_layers(COMMAND_LINE, ["--input", "UNet=1,3,32,32"])
    assert layers["outc"] is None or None in layers["outc"]


@pytest.mark.parametrize("key", ['"UNet"', '"unet.py::UNet"'])
def test_arguments_in_pyproject_build_the_model(tmp_path, key):
    path = unet_file(tmp_path)
    pyproject(tmp_path, f'{key} = "3, n_classes=2, bilinear=False"')
    got = shapelint_layers(path, [], cwd=tmp_path)
    assert_every_layer_is_pytorchs(got, torch_layers(path, "UNet(3, n_classes=2, bilinear=False)", (1, 3, 32, 32)))


def test_a_path_qualified_name_on_the_command_line(tmp_path):
    path = unet_file(tmp_path)
    got = shapelint_layers(path, ["--input", "UNet=1,3,32,32", f"--init={path}::UNet=3, 4, True"])
    assert got["outc"] == [1, 4, 32, 32]


def test_a_variable_name_declares_its_class(tmp_path):
    path = unet_file(tmp_path, tail="\nnet = UNet(3, 2, True)\n")
    got = shapelint_layers(path, ["--input", "net=1,3,32,32", "--init=net=3, 6, True"])
    assert got["outc"] == [1, 6, 32, 32]


# --------------------------------------------------------------------------- precedence

EXAMPLE = '\nif __name__ == "__main__":\n    UNet(3, 5, True)(torch.randn(1, 3, 32, 32))\n'
PRAGMA = "class UNet(nn.Module):  # shapelint: init(3, 3, True)"


@pytest.mark.parametrize("class_line, config, extra, channels", [
    ("class UNet(nn.Module):", None, [], 5),  # the example's own call
    ("class UNet(nn.Module):", '"UNet" = "3, 4, True"', [], 4),  # pyproject beats the example
    (PRAGMA, '"UNet" = "3, 4, True"', [], 3),  # the pragma beats pyproject
    (PRAGMA, '"UNet" = "3, 4, True"', ["--init=UNet=3, 2, False"], 2),  # the command line beats all
])
def test_explicit_arguments_take_precedence_as_declarations_do(tmp_path, class_line, config, extra, channels):
    path = unet_file(tmp_path, class_line, EXAMPLE)
    if config is not None:
        pyproject(tmp_path, config, inputs="")
    got = shapelint_layers(path, extra, cwd=tmp_path)
    assert got["outc"] == [1, channels, 32, 32]  # the example still declares the input
    build = {5: "UNet(3, 5, True)", 4: "UNet(3, 4, True)", 3: "UNet(3, 3, True)", 2: "UNet(3, 2, False)"}
    assert_every_layer_is_pytorchs(got, torch_layers(path, build[channels], (1, 3, 32, 32)))


def test_the_example_inside_arguments_given_elsewhere_reports_nothing_at_the_example(tmp_path):
    path = unet_file(tmp_path, tail=EXAMPLE)
    code, out, err = run(["check", "--no-cache", "--init=UNet=3, 2, False", str(path)])
    assert code == 0, out + err


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("command", ["check", "shapes"])
@pytest.mark.parametrize("value, fragment", [
    ("UNet=3, n_classes=N", "'N' is not a literal"),
    ("UNet=3, f(2)", "'f(2)' is not a literal"),
    ("UNet=*sizes", "'*' is not allowed"),
    ("UNet=**config", "'**' is not allowed"),
    ("UNet=3,,", "expected Python call arguments"),
    ("UNet=1)(2", "expected Python call arguments"),
    ("UNet", "expected NAME=ARGS"),
    ("3=4", "is not a class or variable name"),
])
def test_malformed_arguments_on_the_command_line_are_a_one_line_usage_error(command, value, fragment):
    code, out, err = run([command, "--no-cache", f"--init={value}", str(COMMAND_LINE)])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and fragment in err, err


@pytest.mark.parametrize("command", ["check", "shapes"])
@pytest.mark.parametrize("value, fragment", [
    ("UNet=3, n_class=2, bilinear=True", "unexpected keyword argument 'n_class'"),
    ("UNet=3, 2, True, 4", "takes 3 positional arguments but 4 were given"),
    ("UNet=3, 2", "missing a required argument: 'bilinear'"),
    ("UNet=3, 2, n_channels=3", "got multiple values for argument 'n_channels'"),
])
def test_arguments_that_do_not_bind_on_the_command_line_are_a_one_line_error(command, value, fragment):
    code, out, err = run([command, "--no-cache", "--input", "UNet=1,3,32,32", f"--init={value}", str(COMMAND_LINE)])
    assert code == 2, out + err
    assert err.count("\n") == 1 and fragment in err and "--init UNet" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("value, fragment", [
    ('"UNet" = "3, n_classes=N"', "tool.shapelint.init.UNet: bad arguments"),
    ('"UNet" = [3, 2]', "expected the arguments as a string"),
    ('"3D" = "3"', "expected a class or variable name"),
    ('"UNet" = "3, n_class=2, bilinear=True"', "tool.shapelint.init.UNet: UNet() got an unexpected keyword"),
])
def test_bad_arguments_in_pyproject_are_a_one_line_configuration_error(tmp_path, value, fragment):
    path = unet_file(tmp_path)
    pyproject(tmp_path, value)
    code, out, err = run(["check", "--no-cache", str(path)], cwd=tmp_path)
    assert code == 2, out + err
    assert err.count("\n") == 1 and fragment in err, err


def test_the_cache_tells_arguments_apart(tmp_path):
    path = unet_file(tmp_path, tail="\n")
    (tmp_path / "pyproject.toml").write_text("[tool.shapelint]\n", encoding="utf-8")
    first = run(["shapes", "--format", "json", "--input", "UNet=1,3,32,32", "--init=UNet=3, 2, True", str(path)],
                cwd=tmp_path)
    second = run(["shapes", "--format", "json", "--input", "UNet=1,3,32,32", "--init=UNet=3, 7, True", str(path)],
                 cwd=tmp_path)
    outputs = [json.loads(out)["models"][0]["output"] for _, out, _ in (first, second)]
    assert outputs == [[1, 2, 32, 32], [1, 7, 32, 32]]
