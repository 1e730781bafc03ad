"""The bundled examples/ demonstrate the product: check them against PyTorch itself.

Every layer shape `shapelint shapes` infers for an example must be the one PyTorch's forward
hooks see on the CPU, and `shapelint check examples/` must flag exactly the layers that PyTorch
rejects or that miss the declared shape.
"""

from __future__ import annotations

import importlib.util
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from shapelint.frontends.cli import main  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_cli(*args: str):
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def torch_shapes(model, *inputs):
    """Output shape of the first call of every named module, as shapelint names them."""
    seen = {}
    hooks = []
    for name, module in model.named_modules():
        def hook(mod, args, output, name=name):
            if name not in seen and isinstance(output, torch.Tensor):
                seen[name] = list(output.shape)
        hooks.append(module.register_forward_hook(hook))
    with torch.no_grad():
        model.eval()(*inputs)
    for h in hooks:
        h.remove()
    return seen


# (file, model name in shapelint's output, constructor, input shape, extra CLI args)
CORRECT_MODELS = [
    ("dcgan_generator.py", "Generator", lambda m: m.Generator(), (8, 100, 1, 1), ()),
    ("vae_decoder.py", "Decoder", lambda m: m.Decoder(), (2, 32), ()),
    ("classifier.py", "SmallNet", lambda m: m.SmallNet(), (1, 3, 32, 32), ()),
    (
        "vocoder_1d.py",
        "Vocoder",
        lambda m: m.Vocoder(),
        (1, 80, 50),
        ("--input", "Vocoder=1,80,50"),
    ),
    (
        "upsampler_3d.py",
        "ResizeUpsampler",
        lambda m: m.ResizeUpsampler(8),
        (1, 8, 16, 160, 160),
        ("--input", "ResizeUpsampler=1,8,16,160,160"),
    ),
]


@pytest.mark.parametrize("filename,model_name,build,input_shape,cli", CORRECT_MODELS)
def test_inferred_shapes_match_pytorch(filename, model_name, build, input_shape, cli):
    path = EXAMPLES / filename
    code, out = run_cli("shapes", str(path), "--format", "json", *cli)
    assert code == 0, out
    models = {m["name"]: m for m in json.loads(out)["models"]}
    assert model_name in models, sorted(models)
    inferred = {layer["name"]: layer["output"] for layer in models[model_name]["layers"]}

    module = load_module(path)
    # The channel count of ResizeUpsampler is a constructor argument: the example file's
    # default (256) is too heavy for a test, so compare every dim but the channels there.
    expected = torch_shapes(build(module), torch.randn(*input_shape))
    leaf_names = [n for n, m in build(module).named_modules() if n and not list(m.children())]
    assert leaf_names, "the example has layers"
    for name in leaf_names:
        assert name in inferred, f"{model_name}: shapelint has no shape for {name!r}"
        got, want = inferred[name], expected[name]
        if model_name == "ResizeUpsampler":
            got, want = got[:1] + got[2:], want[:1] + want[2:]
        assert got == want, f"{model_name}.{name}: shapelint {got}, torch {want}"


def test_check_flags_exactly_the_broken_examples():
    code, out = run_cli("check", str(EXAMPLES), "--format", "json", "--no-cache")
    assert code == 1
    found = json.loads(out)
    errors = {(Path(d["filename"]).name, d["code"]) for d in found if d["code"].startswith("SHP1")}
    assert {Path(d["filename"]).name for d in found if d["code"].startswith("SHP1")} == {
        "upsampler_3d.py",
        "broken_decoder.py",
    }, found
    assert ("upsampler_3d.py", "SHP101") in errors
    assert ("broken_decoder.py", "SHP102") in errors

    # And PyTorch agrees that those two are broken.
    upsampler = load_module(EXAMPLES / "upsampler_3d.py").Upsampler(4)
    assert upsampler(torch.randn(1, 4, 2, 160, 160)).shape[-2:] != (224, 224)
    decoder = load_module(EXAMPLES / "broken_decoder.py").decoder
    with pytest.raises(RuntimeError):
        decoder.eval()(torch.randn(4, 128, 8, 8))


def test_fix_repairs_the_broken_decoder(tmp_path):
    target = tmp_path / "broken_decoder.py"
    target.write_text((EXAMPLES / "broken_decoder.py").read_text())
    code, out = run_cli("check", str(target), "--fix", "--no-cache")
    assert code == 0, out
    fixed = load_module(target).decoder.eval()
    with torch.no_grad():
        assert tuple(fixed(torch.randn(4, 128, 8, 8)).shape) == (4, 3, 64, 64)
    assert "# 8 -> 16" in target.read_text(), "comments survive the fix"
