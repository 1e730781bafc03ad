"""Acceptance: `shapelint shapes` / `shapelint check` on real model files, PyTorch as the oracle.

For every model of tests/models/: every layer shapelint reports exists in ``named_modules()`` with
the output shape PyTorch's forward hooks see, every module a tensor passes through is reported,
and the correct files get no diagnostic at all.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the oracle of these tests")

from support.cli import apply_fixes, check_json, run_cli, shapes_json  # noqa: E402
from support.real_models import load_cases, prepare  # noqa: E402
from support.torch_oracle import call_span, consistent, trace  # noqa: E402


cases = load_cases()


def find_model(data: dict, case) -> dict:
    found = [m for m in data["models"] if m.get("name") == case.name]
    names = [m.get("name") for m in data["models"]]
    assert len(found) == 1, f"expected one model {case.name!r} in `shapelint shapes`, got {names}"
    return found[0]


def source_line_of(case, marker: str) -> int:
    with open(case.path) as f:
        for number, line in enumerate(f, 1):
            if marker in line:
                return number
    raise AssertionError(f"{marker!r} not in {case.file}")


@pytest.fixture(scope="module")
def torch_traces():
    """PyTorch's view of every case, computed once."""
    return {case.id: trace(case.path, case.build, case.inputs) for case in cases.CASES}


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.id)
def test_torch_agrees_with_the_declarations(case, torch_traces):
    """The registry and the files agree with PyTorch: correct models run and give their
    declared shapes; the broken one runs but does not."""
    t = torch_traces[case.id]
    assert t.ok, t.error
    layer_ok = all(t.outputs.get(n) == s for n, s in case.layer_declarations.items())
    if case.correct:
        assert case.declared_output is None or t.output == case.declared_output
        assert layer_ok, {n: t.outputs.get(n) for n in case.layer_declarations}
    else:
        assert t.output != case.declared_output or not layer_ok


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.id)
def test_shapes_match_pytorch(case, torch_traces, tmp_path):
    t = torch_traces[case.id]
    path, args = prepare(case.file, tmp_path)
    code, data, stderr = shapes_json(path, *args)
    assert code == 0, (code, stderr)
    model = find_model(data, case)
    problems = []
    binding = {}
    why = consistent(model.get("input"), case.inputs[0], binding)
    if model.get("input") is None or why:
        problems.append(f"model input {model.get('input')} vs declared {case.inputs[0]}: {why}")
    why = consistent(model.get("output"), t.output, binding)
    if model.get("output") is None or None in model["output"] or why:
        problems.append(f"model output {model.get('output')} vs torch {t.output}: {why}")
    if case.declared_output is not None:
        if model.get("declared_output") is None or consistent(
            model["declared_output"], case.declared_output, binding
        ):
            problems.append(
                f"declared_output {model.get('declared_output')} vs {case.declared_output}"
            )
    else:
        if model.get("declared_output") is not None:
            problems.append(f"declared_output {model['declared_output']} but nothing declares one")
    reported = {}
    for layer in model.get("layers", []):
        name = layer["name"]
        if name in reported:
            problems.append(f"layer {name!r} reported twice")
        reported[name] = layer
        if name not in t.types:
            problems.append(f"layer {name!r} ({layer.get('type')}) is not in named_modules()")
            continue
        if layer.get("type") != t.types[name]:
            problems.append(f"layer {name!r}: type {layer.get('type')!r}, torch {t.types[name]!r}")
        if name in t.outputs:
            why = consistent(layer.get("output"), t.outputs[name], binding)
            if why:
                problems.append(
                    f"layer {name!r}: output {layer.get('output')} vs torch {list(t.outputs[name])}: {why}"
                )
    missed = sorted(
        n for n in t.outputs
        if n and (n not in reported or reported[n].get("output") is None
                  or None in reported[n]["output"])
    )
    if missed:
        problems.append(
            "modules a tensor passes through that shapelint misses or leaves unknown: "
            + ", ".join(
                f"{n} ({t.types[n]}, torch {list(t.outputs[n])}, shapelint "
                f"{reported[n].get('output') if n in reported else 'absent'})"
                for n in missed
            )
        )
    uncalled = sorted(set(t.types) - set(t.outputs) - {""} - set(reported))
    if uncalled:
        problems.append(f"named_modules() entries not in `layers`: {uncalled}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.id)
def test_layer_lines_are_construction_lines(case, torch_traces, tmp_path):
    """A layer's `line` is in the constructor call PyTorch saw building it."""
    t = torch_traces[case.id]
    path, args = prepare(case.file, tmp_path)
    code, data, stderr = shapes_json(path, *args)
    model = find_model(data, case)
    with open(case.path) as f:
        source = f.read()
    wrong = []
    for layer in model.get("layers", []):
        name = layer["name"]
        if name not in t.lines:
            continue
        span = call_span(source, t.lines[name], t.types.get(name))
        if layer.get("line") not in span:
            wrong.append(f"{name}: line {layer.get('line')}, constructed on {sorted(span)}")
    assert not wrong, "\n".join(wrong)
    assert model.get("line") == source_line_of(case, case.model_marker) or (
        # a pragma on the comment line above the class is part of the model's declaration
        model.get("line") in {source_line_of(case, m) for m in case.declaration_markers}
    ), model.get("line")


def expected_warnings(file, traces) -> set:
    """The SHP2xx the contract predicts, from the layers PyTorch built: SHP201 for a transposed
    convolution whose kernel is not a multiple of its stride, SHP202 for one whose padding
    exceeds dilation * (kernel_size - 1), at the line that builds it."""
    expected = set()
    for case in cases.cases_for(file):
        t = traces[case.id]
        for name, module in t.model.named_modules():
            if not isinstance(module, torch.nn.modules.conv._ConvTransposeNd) or name not in t.lines:
                continue
            k, s, p, d = module.kernel_size, module.stride, module.padding, module.dilation
            if any(ki % si for ki, si in zip(k, s)) and all(di == 1 for di in d):
                expected.add(("SHP201", t.lines[name]))
            if not isinstance(p, str) and any(pi > di * (ki - 1) for pi, di, ki in zip(p, d, k)):
                expected.add(("SHP202", t.lines[name]))
    return expected


@pytest.mark.parametrize(
    "file", [f for f in cases.FILES if all(c.correct for c in cases.cases_for(f))]
)
def test_correct_models_have_no_errors(file, tmp_path, torch_traces):
    """No SHP0xx/SHP1xx on a model PyTorch runs with its declared shapes; exactly the SHP2xx
    warnings the contract predicts (the VAE's kernel-3 stride-2 upsampling: checkerboard)."""
    path, args = prepare(file, tmp_path)
    code, diagnostics, stderr = check_json(path, *args)
    errors = [d for d in diagnostics if not d["code"].startswith("SHP2")]
    assert errors == [], errors
    warnings = {(d["code"], d["location"]["row"]) for d in diagnostics if d["code"].startswith("SHP2")}
    assert warnings == expected_warnings(file, torch_traces), diagnostics
    assert code == (1 if diagnostics else 0), stderr
    text = run_cli("check", path, "--no-cache", "--select", "SHP0,SHP1", *args)
    assert text.code == 0 and "SHP" not in text.stdout, (text.stdout, text.stderr)


def test_the_160_to_224_upsampler_is_reported(tmp_path, torch_traces):
    """The product story: ConvTranspose3d stride (1, 2, 2) makes 320 x 320, not the 224 x 224
    declared. An SHP101 at the layer or the declaration; a fix, if offered, must make PyTorch
    produce the declared shape."""
    (case,) = [c for c in cases.CASES if not c.correct]
    t = torch_traces[case.id]
    assert t.ok and t.output != case.declared_output
    path, args = prepare(case.file, tmp_path)
    code, diagnostics, stderr = check_json(path, *args)
    assert code == 1, (code, stderr)
    with open(path) as f:
        source = f.read()
    allowed = call_span(source, t.lines["up"], "ConvTranspose3d")
    allowed |= {source_line_of(case, m) for m in case.declaration_markers}
    allowed.add(source_line_of(case, case.model_marker))
    hits = [d for d in diagnostics if d["code"] == "SHP101" and d["location"]["row"] in allowed]
    assert hits, (sorted(allowed), diagnostics)
    fixes = [d["fix"]["edits"] for d in diagnostics if d["code"].startswith("SHP1") and d.get("fix")]
    if fixes:
        fixed, _ = apply_fixes(source, fixes)
        with open(path, "w") as f:
            f.write(fixed)
        after = trace(path, case.build, case.inputs)
        assert after.ok and after.output == case.declared_output, (after.error, after.output, fixed)


@pytest.mark.parametrize(
    "case", [c for c in cases.CASES if "Float[Tensor" in c.declaration_markers], ids=lambda c: c.id
)
def test_annotations_hold_at_run_time(case, torch_traces):
    """The jaxtyping annotations of the models are the ones jaxtyping itself checks at run time
    against PyTorch's tensors, and shapelint's parser reads them the same way."""
    jaxtyping = pytest.importorskip("jaxtyping", reason="the models' annotations are jaxtyping's")
    from shapelint.core.shapespec import parse_jaxtyping_dims

    t = torch_traces[case.id]
    annotations = dict(type(t.model).forward.__annotations__)
    returned = annotations.pop("return")
    (given,) = annotations.values()
    with jaxtyping.jaxtyped("context"):
        assert isinstance(torch.zeros(case.inputs[0]), given)
        assert isinstance(torch.zeros(t.output), returned)
    env = {}
    assert parse_jaxtyping_dims(given.dim_str).match(case.inputs[0], env) is None
    assert parse_jaxtyping_dims(returned.dim_str).match(t.output, env) is None
    assert parse_jaxtyping_dims(returned.dim_str).resolve(env) == t.output


@pytest.mark.parametrize("case", cases.CORRECT, ids=lambda c: c.id)
def test_cli_input_beats_the_file(case, tmp_path):
    """`--input` beats every other way of declaring (CONTRACT.md section 1): with a different
    batch size and, for images, a different size, the shapes follow PyTorch on that input."""
    new_input = (case.inputs[0][0] + 1,) + tuple(case.inputs[0][1:])
    t = trace(case.path, case.build, [new_input] + list(case.inputs[1:]))
    assert t.ok, t.error
    path, args = prepare(case.file, tmp_path)
    flag = f"{case.name}=" + ",".join(str(d) for d in new_input)
    code, data, stderr = shapes_json(path, *args, "--input", flag)
    model = find_model(data, case)
    assert model["input"] == list(new_input), model["input"]
    assert model["output"] == list(t.output), (model["output"], t.output)
    wrong = {
        layer["name"]: (layer["output"], list(t.outputs[layer["name"]]))
        for layer in model["layers"]
        if layer["name"] in t.outputs and layer["output"] != list(t.outputs[layer["name"]])
    }
    assert not wrong, wrong


@pytest.mark.parametrize("file", cases.FILES)
def test_shapes_text_table(file, tmp_path, torch_traces):
    """The human table names every model and shows PyTorch's output shape of each."""
    path, args = prepare(file, tmp_path)
    result = run_cli("shapes", path, *args)
    assert result.code == 0 and "Traceback" not in result.stderr, result.stderr
    blocks = {block.split(" (", 1)[0]: block for block in result.stdout.strip().split("\n\n")}
    for case in cases.cases_for(file):
        assert case.name in blocks, result.stdout
        (line,) = [l for l in blocks[case.name].splitlines() if l.startswith("Output shape:")]
        printed = line.split(":", 1)[1].strip().strip("[]").split(", ")
        expected = [str(d) for d in torch_traces[case.id].output]
        # a symbolic batch prints as its name
        assert len(printed) == len(expected) and all(
            p == e or (i == 0 and p.isidentifier()) for i, (p, e) in enumerate(zip(printed, expected))
        ), (line, expected)
