"""Which side of a channel mismatch a fix edits, and whether it is safe (CONTRACT 6): safe only
when the rest of the model contradicts the culprit; unsafe when the two sides are equally
supported. The cases themselves (placement, fixed files, PyTorch) are tests/cases/channels_culprit."""

import os

import pytest

from tests.support.cli import check_json

CASES = os.path.join(os.path.dirname(__file__), "..", "cases", "channels_culprit")


def _args(path: str):
    with open(path) as f:
        for line in f:
            if line.startswith("# args:"):
                return [a for a in line.split(":", 1)[1].split() if a != "--unsafe-fixes"]
    return []


@pytest.mark.parametrize("name, applicability", [
    ("producer_contradicted_by_norm_and_next_conv", "safe"),
    ("consumer_contradicted_by_producer_and_norm", "safe"),
    ("linear_balanced_prefers_round_count", "unsafe"),
    ("linear_after_flatten_conv_culprit", "unsafe"),
    ("caller_argument_of_block", "unsafe"),
])
def test_fix_applicability(name, applicability):
    path = os.path.join(CASES, name + ".py")
    _, diagnostics, _ = check_json(path, *_args(path))
    fixes = [d["fix"] for d in diagnostics if d["code"] == "SHP102"]
    assert len(fixes) == 1 and fixes[0] is not None
    assert fixes[0]["applicability"] == applicability
