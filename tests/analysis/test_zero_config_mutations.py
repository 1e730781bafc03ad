"""Issue 13's zero-config mutation test ("Done when"), on a seeded sample.

The mutants of the issue-11 mutation test (tests/support/mutations.py: every integer literal of
every layer call, block call, expression, ``__init__`` default and size constant of the acceptance
and real-style models, +1 and -1) with every shape declaration stripped (tests/support/zeroconf.py:
pragmas, jaxtyping annotations, example inputs, ``--input``, the configuration), judged by PyTorch
over a range of input sizes at the rank and channels of the first layer (``zeroconf.JUDGE``):

- of the mutants PyTorch rejects at every size (at every rank the first layer takes), the share
  that gets an SHP1xx must not fall below the floor (issue 13's target is 95%);
- a mutant that runs for some size, at any rank, gets no SHP1xx.

``python benchmarks/mutations.py --zero-config --jobs 2`` measures every mutant and lists each
miss; ``SHAPELINT_ZEROCONF_SAMPLE`` sets the sample's size here (default 60).
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("torch", reason="PyTorch is the judge of these tests")

from support import mutations as M  # noqa: E402
from support import zeroconf as Z  # noqa: E402

SAMPLE = int(os.environ.get("SHAPELINT_ZEROCONF_SAMPLE", "60"))
SEED = 13
#: What the engine reaches on the seeded sample: 20 of its 21 rejected mutants (95.2%; of all
#: 1,429 mutants, 543 of 557 = 97.5%, 0 false positives: benchmarks/mutations.py --zero-config);
#: a regression below it fails.
FLOOR_DETECTED = 0.95


@pytest.fixture(scope="module")
def outcomes():
    return [Z.judge(m) for m in M.sample(M.all_mutants(), SAMPLE, SEED)]


def test_every_stripped_model_runs_in_pytorch_and_gets_no_error():
    for subject in M.subjects():
        outcome = Z.judge(None, subject)
        assert outcome.kind in ("runs", "unjudged"), (subject.label, outcome.torch)
        assert outcome.shp1 == [], (subject.label, outcome.shp1)


def test_stripping_leaves_no_declaration(tmp_path):
    from shapelint.analysis.analyze import analyze_source

    for subject in M.subjects():
        with open(subject.path) as f:
            source = f.read()
        stripped = Z.strip_declarations(source)
        assert len(stripped.splitlines()) == len(source.splitlines()), subject.label
        result = analyze_source(stripped, str(tmp_path / subject.file))  # alone, as the judge has it
        assert [s.name for s in result.summaries if s.declared] == [], subject.label


def test_no_mutant_that_runs_for_some_size_gets_an_error(outcomes):
    wrong = [(o.mutant.id, o.torch, [d["message"] for d in o.shp1]) for o in outcomes if o.false_positive]
    assert wrong == []


def test_mutants_rejected_at_every_size_are_reported(outcomes):
    rejected = [o for o in outcomes if o.kind == "rejects"]
    assert len(rejected) >= SAMPLE // 6, "the sample holds too few rejected mutants to measure"
    missed = [(o.mutant.id, o.torch) for o in rejected if not o.shp1]
    assert 1 - len(missed) / len(rejected) >= FLOOR_DETECTED, missed
