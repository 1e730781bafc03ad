"""``shapelint solve``: output, JSON schema, exit codes and one-line usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest
import torch

from shapelint.frontends.cli import main as shapelint_main
from shapelint.frontends.cli.solve_cmd import main


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Thousands of tiny ops: intra-op threads only add overhead (16x slower on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def run_cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def shape_of(code: str, channels: int, sizes):
    module = eval(
        code.replace("C_in", str(channels)).replace("C_out", str(channels)), {"nn": torch.nn}
    )  # noqa: S307
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(module(torch.zeros(1, channels, *sizes)).shape[2:])


def test_founding_question_text(capsys):
    code, out, err = run_cli(
        capsys, "ConvTranspose3d", "16x160x160", "16x224x224", "--stride", "1x2x2"
    )
    assert err == ""
    assert "No lossless ConvTranspose3d gives exactly 16x224x224:" in out
    assert "dims 2, 3: 160 -> 224" in out and "none lossless" in out
    assert "stride 2 maps 160 to at least 319 without cropping (padding=0)" in out
    assert "224 needs a factor of 1.4, not an integer" in out
    assert "Recommended" not in out
    # The answer comes first: why, then what to paste instead, then the per-dim tables.
    assert out.index("dims 2, 3 (160 -> 224): stride 2") < out.index("Instead:")
    assert out.index("Instead:") < out.index("Per dim, best first:")
    upsample = next(line.strip() for line in out.splitlines() if "nn.Upsample(" in line)
    assert shape_of(upsample, 2, (16, 160, 160)) == (16, 224, 224)
    # Exact (cropping) solutions exist, so this is not a "nothing is exact" exit.
    assert code == 0


def test_founding_question_json(capsys):
    code, out, _ = run_cli(
        capsys,
        "ConvTranspose3d",
        "16,160,160",
        "16,224,224",
        "--stride",
        "1,2,2",
        "--format",
        "json",
    )
    data = json.loads(out)
    assert code == 0
    assert set(data) == {
        "layer",
        "input",
        "output",
        "fixed",
        "bounds",
        "dims",
        "recommended",
        "alternatives",
    }
    assert data["layer"] == "ConvTranspose3d"
    assert data["input"] == [16, 160, 160] and data["output"] == [16, 224, 224]
    assert data["fixed"] == {"stride": [1, 2, 2]}
    assert data["bounds"] == {"max_kernel_size": 16, "max_stride": 8, "max_dilation": 3}
    assert data["recommended"] is None
    assert [d["reason"] is None for d in data["dims"]] == [True, False, False]
    for dim in data["dims"]:
        for solution in dim["solutions"]:
            assert set(solution) == {
                "kernel_size",
                "stride",
                "padding",
                "output_padding",
                "dilation",
                "warnings",
            }
    assert all(set(a) == {"code", "note"} for a in data["alternatives"])


def test_json_lists_every_solution_unless_limited(capsys):
    _, full, _ = run_cli(capsys, "Conv1d", "32", "16", "--format", "json")
    _, limited, _ = run_cli(capsys, "Conv1d", "32", "16", "--format", "json", "--limit", "1")
    full_dim, limited_dim = json.loads(full)["dims"][0], json.loads(limited)["dims"][0]
    assert len(full_dim["solutions"]) == full_dim["count"] > 1
    assert limited_dim["solutions"] == full_dim["solutions"][:1]
    assert limited_dim["count"] == full_dim["count"]


def test_conv_and_pool_json_have_no_output_padding(capsys):
    for layer in ("Conv2d", "MaxPool2d", "AvgPool2d"):
        _, out, _ = run_cli(capsys, layer, "32x32", "16x16", "--format", "json")
        data = json.loads(out)
        for dim in data["dims"]:
            assert dim["solutions"]
            assert all("output_padding" not in s for s in dim["solutions"])
        assert "output_padding" not in data["recommended"]


def test_single_sizes_apply_to_every_dim_and_the_recommendation_works_in_torch(capsys):
    code, out, err = run_cli(capsys, "ConvTranspose2d", "32", "64")
    assert code == 0 and err == ""
    lines = out.splitlines()
    recommended = lines[lines.index("Recommended:") + 1].strip()
    assert recommended.startswith("nn.ConvTranspose2d(C_in, C_out, kernel_size=")
    assert shape_of(recommended, 3, (32, 32)) == (64, 64)


def test_limit_caps_the_listed_solutions(capsys):
    _, out, _ = run_cli(capsys, "Conv1d", "32", "16", "--limit", "2")
    listed = [line for line in out.splitlines() if line.startswith("    kernel_size=")]
    assert len(listed) == 2
    assert "more (--limit 0 shows all)" in out
    _, out, _ = run_cli(capsys, "Conv1d", "32", "16", "--limit", "0")
    assert "more (--limit" not in out


def test_nothing_exact_exits_1(capsys):
    code, out, err = run_cli(capsys, "MaxPool2d", "10x10", "30x30")
    assert code == 1 and err == ""
    assert "No MaxPool2d within the bounds gives exactly 30x30:" in out
    assert "nn.Upsample(size=(30, 30)" in out


def test_bounds_options_limit_the_search(capsys):
    _, out, _ = run_cli(
        capsys,
        "ConvTranspose1d",
        "10",
        "20",
        "--max-kernel-size",
        "3",
        "--max-stride",
        "2",
        "--max-dilation",
        "1",
        "--format",
        "json",
    )
    data = json.loads(out)
    assert data["bounds"] == {"max_kernel_size": 3, "max_stride": 2, "max_dilation": 1}
    solutions = data["dims"][0]["solutions"]
    assert solutions and all(
        s["kernel_size"] <= 3 and s["stride"] <= 2 and s["dilation"] == 1 for s in solutions
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["Conv9d", "1", "1"],
        ["Conv2d", "10x10x10x10x10", "5"],
        ["Conv2d", "10", "5", "--stride", "0"],
        ["Conv2d", "10", "5", "--stride", "1x2x3"],
        ["Conv2d", "10", "5", "--padding", "-1"],
        ["Conv2d", "10", "0"],
        ["Conv2d", "ten", "5"],
        ["Conv2d", "10", "5", "--output-padding", "1"],
        ["AvgPool2d", "10", "5", "--dilation", "2"],
        ["Conv2d", "10", "5", "--max-stride", "0"],
        ["Conv2d", "10", "5", "--limit", "-1"],
        ["Conv2d", "10", "5", "--format", "xml"],
        ["Conv2d", "10", "5", "--bogus"],
        ["Conv2d", "10"],
        [],
    ],
)
def test_bad_usage_is_one_line_on_stderr_and_exit_2(capsys, argv):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("shapelint solve: error: ")
    assert err.endswith("\n") and err.count("\n") == 1
    assert "Traceback" not in err


def test_help_exits_0(capsys):
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0 and "--max-kernel-size" in out


def test_dispatcher_routes_solve(capsys):
    assert shapelint_main(["solve", "Conv1d", "32", "16"]) == 0
    assert "Recommended:" in capsys.readouterr().out


def test_real_command_imports_neither_libcst_nor_torch():
    script = (
        "import sys\n"
        "from shapelint.frontends.cli import main\n"
        "code = main(['solve', 'ConvTranspose3d', '16x160x160', '16x224x224', '--stride', '1x2x2'])\n"
        "assert 'libcst' not in sys.modules, 'libcst imported'\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "nn.Upsample(size=(16, 224, 224), mode='trilinear')" in done.stdout
