"""``shapelint solve`` takes IN, OUT and LAYER the way people paste them.

Every form of a size must give the same answer as the plain ``16x160x160``; a full shape has its
batch and channels dropped and the output says so; anything it cannot read is one line, exit 2.
"""

from __future__ import annotations

import json
import warnings

import pytest
import torch

from shapelint.frontends.cli.solve_cmd import main
from shapelint.core.solver import LISTED_AT_MOST

STRIDE = ["--stride", "1x2x2"]


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def answer(capsys, *argv):
    code, out, err = run(capsys, *argv, "--format", "json")
    assert err == "" and code in (0, 1), err
    return json.loads(out)


def spatial_answer(data):
    """The answer itself, without what the output says about how IN and OUT were read."""
    return {key: value for key, value in data.items() if key != "dropped"}


def assert_one_line_error(code, out, err, *fragments):
    assert code == 2 and out == ""
    assert err.startswith("shapelint solve: error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    "size_in, size_out",
    [
        ("16x160x160", "16x224x224"),
        ("16X160X160", "16X224X224"),
        ("16 x 160 x 160", "16 x 224 x 224"),
        ("16,160,160", "16,224,224"),
        ("16, 160, 160", "16, 224, 224"),
        ("16 160 160", "16 224 224"),
        ("[16, 160, 160]", "[16, 224, 224]"),
        ("[16,160,160]", "(16,224,224)"),
        ("(16, 160, 160)", "(16, 224, 224)"),
        ("torch.Size([16, 160, 160])", "torch.Size([16, 224, 224])"),
        ("  (16, 160, 160)  ", "[16 224 224]"),
    ],
)
def test_every_pasted_form_of_a_spatial_size_gives_the_same_answer(capsys, size_in, size_out):
    plain = answer(capsys, "ConvTranspose3d", "16x160x160", "16x224x224", *STRIDE)
    pasted = answer(capsys, "ConvTranspose3d", size_in, size_out, *STRIDE)
    assert pasted == plain
    assert pasted["input"] == [16, 160, 160] and "dropped" not in pasted


@pytest.mark.parametrize(
    "argv",
    [
        ["16", "160", "160", "16", "224", "224"],  # two equal runs of bare integers
        ["[16,", "160,", "160]", "[16,", "224,", "224]"],  # brackets the shell split at spaces
        ["(16, 160, 160)", "[16, 224, 224]"],
    ],
)
def test_several_words_are_split_into_in_and_out(capsys, argv):
    plain = answer(capsys, "ConvTranspose3d", "16x160x160", "16x224x224", *STRIDE)
    assert answer(capsys, "ConvTranspose3d", *argv, *STRIDE) == plain


def test_options_may_come_between_the_sizes(capsys):
    plain = answer(capsys, "ConvTranspose3d", "16x160x160", "16x224x224", *STRIDE)
    assert answer(capsys, "ConvTranspose3d", "16x160x160", *STRIDE, "16x224x224") == plain


def test_one_size_stands_for_every_spatial_dim_on_either_side(capsys):
    both = answer(capsys, "ConvTranspose2d", "32x32", "64x64")
    assert answer(capsys, "ConvTranspose2d", "32", "64") == both
    assert answer(capsys, "ConvTranspose2d", "32", "64x64") == both
    assert answer(capsys, "ConvTranspose2d", "(32,)", "[64]") == both


@pytest.mark.parametrize(
    "size_in, size_out, dropped",
    [
        (
            "[16, 4, 16, 160, 160]",
            "[16, 3, 16, 224, 224]",
            {"input": {"batch": 16, "channels": 4}, "output": {"batch": 16, "channels": 3}},
        ),
        (
            "(256, 16, 160, 160)",  # unbatched, as PyTorch takes a 4-d input to a 3-d layer
            "16x224x224",
            {"input": {"channels": 256}},
        ),
        (
            "torch.Size([2, 2, 16, 160, 160])",
            "2 16 224 224",
            {"input": {"batch": 2, "channels": 2}, "output": {"channels": 2}},
        ),
    ],
)
def test_a_full_shape_has_its_batch_and_channels_dropped_and_says_so(
    capsys, size_in, size_out, dropped
):
    plain = answer(capsys, "ConvTranspose3d", "16x160x160", "16x224x224", *STRIDE)
    data = answer(capsys, "ConvTranspose3d", size_in, size_out, *STRIDE)
    assert data["dropped"] == dropped
    assert data["dims"] == plain["dims"] and data["input"] == [16, 160, 160]
    # The channels given are the ones the code to paste uses, and it builds in torch.
    in_channels = dropped["input"]["channels"]
    out_channels = dropped.get("output", {}).get("channels")
    code = data["alternatives"][0]["code"]
    assert f"nn.Conv3d({in_channels}, {out_channels or 'C_out'}," in code
    if out_channels:
        module = eval(code, {"nn": torch.nn})  # noqa: S307 - the solver's own output
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            shape = module(torch.zeros(1, in_channels, 4, 8, 8)).shape
        assert tuple(shape) == (1, out_channels, 16, 224, 224)


def test_the_text_output_says_what_was_dropped(capsys):
    code, out, err = run(
        capsys, "ConvTranspose3d", "[16, 256, 16, 160, 160]", "(256, 16, 224, 224)", *STRIDE
    )
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[1] == (
        "IN [16, 256, 16, 160, 160] is a (N, C, D, H, W) shape:"
        " batch 16 and channels 256 dropped, solving for 16x160x160"
    )
    assert lines[2] == (
        "OUT [256, 16, 224, 224] is a (C, D, H, W) shape: channels 256 dropped,"
        " solving for 16x224x224"
    )
    plain = run(capsys, "ConvTranspose3d", "16x160x160", "16x224x224", *STRIDE)[1]
    assert "dropped" not in plain


def test_the_layer_decides_how_many_sizes_are_spatial(capsys):
    # Three numbers are (D, H, W) for a 3-d layer but (C, H, W) for a 2-d one.
    three = answer(capsys, "Conv3d", "8 32 32", "8 16 16")
    two = answer(capsys, "Conv2d", "8 32 32", "8 16 16")
    assert three["input"] == [8, 32, 32] and "dropped" not in three
    assert two["input"] == [32, 32] and two["dropped"]["input"] == {"channels": 8}


# --------------------------------------------------------------------------- the layer


@pytest.mark.parametrize(
    "layer",
    [
        "ConvTranspose3d",
        "convtranspose3d",
        "CONVTRANSPOSE3D",
        "nn.ConvTranspose3d",
        "nn.convtranspose3d",
        "torch.nn.ConvTranspose3d",
        "Torch.NN.convTranspose3D",
        " nn.ConvTranspose3d ",
    ],
)
def test_the_layer_in_any_case_with_or_without_nn(capsys, layer):
    data = answer(capsys, layer, "16x160x160", "16x224x224", *STRIDE)
    assert data["layer"] == "ConvTranspose3d"
    assert data == answer(capsys, "ConvTranspose3d", "16x160x160", "16x224x224", *STRIDE)


def test_an_unknown_layer_suggests_the_nearest(capsys):
    assert_one_line_error(
        *run(capsys, "nn.ConvTranpose2d", "1", "2"),
        "unknown layer 'nn.ConvTranpose2d'; did you mean ConvTranspose2d?",
    )
    assert_one_line_error(*run(capsys, "Linear", "1", "2"), "expected one of ConvTranspose1d")


# --------------------------------------------------------------------------- what it cannot read


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["ConvTranspose2d", "32", "2*h"], ["the input must be a size of a name"]),
        (["ConvTranspose2d", "h", "h*h"], ["OUT 'h*h': h*h is not an exact size"]),
        (["ConvTranspose2d", "h", "2*h+"], ["OUT '2*h+'", "is not an expression of sizes"]),
        (["ConvTranspose2d", "h", "w"], ["the output a size of the same name"]),
        (["Conv3d", "16x160x160", "1x2x3x4x5x6"], ["Conv3d has 3 spatial dims", "got 6"]),
        (["Conv3d", "160x160", "80x80"], ["IN takes 3 sizes", "got 2 (160x160)"]),
        (["Conv2d", "1", "2", "3"], ["cannot tell IN from OUT in 3 words"]),
        (["Conv2d", "[16, 3, 64", "32"], ["'[' is never closed"]),
        (["Conv2d", "[]", "32"], ["IN is empty"]),
        (["Conv2d", "16;32", "8"], ["is not an integer"]),
        (["Conv2d", "64"], ["expected IN and OUT"]),
        (["Conv2d", "[16, 3, 64, 64]", "[8, 3, 32, 32]"], ["IN has batch 16 but OUT has 8"]),
        (["MaxPool2d", "[16, 3, 64, 64]", "[16, 8, 32, 32]"], ["a MaxPool2d keeps the channels"]),
    ],
)
def test_what_cannot_be_read_is_one_line_exit_2(capsys, argv, fragments):
    assert_one_line_error(*run(capsys, *argv), *fragments)


def test_a_pool_with_the_same_channels_on_both_sides_is_fine(capsys):
    data = answer(capsys, "MaxPool2d", "[16, 3, 64, 64]", "[16, 3, 32, 32]")
    assert data["recommended"] is not None and data["input"] == [64, 64]


# --------------------------------------------------------------------------- long answers


def test_a_listing_past_the_cap_asks_for_a_limit_and_a_limit_gives_the_count(capsys):
    big = ["ConvTranspose2d", "64", "128", "--max-kernel-size", "256", "--max-stride", "32"]
    assert_one_line_error(
        *run(capsys, *big, "--format", "json"),
        f"a complete listing stops at {LISTED_AT_MOST:,}",
        "--limit N",
    )
    assert_one_line_error(*run(capsys, *big, "--limit", "0"), "--limit N")
    data = answer(capsys, *big, "--limit", "3")
    for dim in data["dims"]:
        assert len(dim["solutions"]) == 3 and dim["count"] > LISTED_AT_MOST
        assert dim["lossless_count"] <= dim["count"]
    code, out, _ = run(capsys, *big, "--limit", "2")
    assert code == 0
    more = [line for line in out.splitlines() if line.strip().startswith("...")]
    # The rest is counted, but "--limit 0 shows all" would be refused: not offered.
    assert more and all("more" in line and "--limit 0" not in line for line in more)
    assert f"{data['dims'][0]['count'] - 2:,} more" in out
