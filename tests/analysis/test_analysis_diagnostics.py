"""Diagnostics of the analysis layer: what tests/test_cases.py does not check of the cases of
tests/cases/ (where each diagnostic lands, and what ``--fix`` makes of a file, are checked
there): suggestions, applicability, single fix rounds, the models and their layers' lines."""

from __future__ import annotations

from shapelint.analysis import analyze_source
from shapelint.core.text import apply_edits
from shapelint.core.shapespec import parse_cli_shape
from shapelint.core.options import Options
from support import case_files


def case(name: str) -> case_files.Case:
    return case_files.load(case_files.CASES_DIR / name)


def analyze(model: case_files.Case, options: Options = Options()):
    return analyze_source(model.source, "model.py", options)


def only(result, code):
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1, [(d.code, d.row, d.message) for d in result.diagnostics]
    return found[0]


def fixed_once(result, source: str) -> str:
    """``source`` with the edits of every fix applied in one round."""
    edits = [e for d in result.diagnostics if d.fix for e in d.fix.edits]
    return apply_edits(source, edits)


CHANNELS = "channels/keep_argument_style_and_continue_after_the_first.py"


def test_channel_mismatches_suggest_the_call_in_its_own_argument_style():
    result = analyze(case(CHANNELS))
    bn, conv = result.diagnostics
    assert bn.end_row == bn.row
    assert bn.help == "nn.BatchNorm2d(8)"
    assert bn.fix.applicability == "safe"
    assert conv.help == "nn.Conv2d(in_channels=8, out_channels=8, kernel_size=3)"


def test_declared_output_missed_suggests_the_smallest_single_layer_change():
    decoder = case("declared_output/smallest_single_layer_change.py")
    mismatch = only(analyze(decoder), "SHP101")
    assert mismatch.help == "nn.ConvTranspose2d(64, 32, kernel_size=4, stride=2, padding=1)"
    assert mismatch.fix.applicability == "safe"
    (edit,) = mismatch.fix.edits
    assert edit.content == "4" and edit.start[0] == decoder.line_of("# 16 -> 31")


def test_no_lossless_layer_explains_and_recommends_resizing():
    mismatch = only(analyze(case("declared_output/no_lossless_layer_recommends_resizing.py")), "SHP101")
    assert mismatch.fix is None
    assert mismatch.help.startswith("nn.Sequential(nn.Upsample(size=(16, 224, 224)")


def test_tuples_stay_tuples_in_a_safe_fix():
    result = analyze(case("declared_output/tuples_stay_tuples_absent_parameters_are_added.py"))
    assert only(result, "SHP101").fix.applicability == "safe"


def test_invalid_stride_with_padding_same_suggests_stride_1():
    model = case("parameters/invalid_without_any_input.py")
    result = analyze(model)
    (same,) = [d for d in result.diagnostics if d.row == model.line_of('padding="same"')]
    assert same.help == 'nn.Conv2d(3, 8, 3, stride=1, padding="same")'


def test_operands_added_with_incompatible_shapes_get_a_fix():
    model = case("shapes/rank_size_and_combination_errors.py")
    result = analyze(model)
    line = model.line_of("self.a(x) + self.b(x)")
    # Reported where its fix goes (a layer of one operand), the statement a related location.
    plus = [d for d in result.diagnostics if d.code == "SHP106" and line in [r.row for r in d.related]]
    assert plus[0].fix is not None  # one operand's chain can be made to fit the other
    assert plus[0].row == plus[0].fix.edits[0].start[0] != line


def test_one_fix_round_on_layer_and_statement_pragmas():
    model = case("declared_output/layer_and_statement_pragmas.py")
    result = analyze(model)
    (layer,) = result.diagnostics  # 32 -> 15, and 15 pools to the declared 7
    assert layer.help.startswith("nn.Conv2d(3, 8, ") and layer.fix.applicability == "safe"
    after = analyze_source(fixed_once(result, model.source), "m.py").diagnostics
    # After this one round, 16 pools to 8 (--fix goes on to the pool, where the diagnostic now
    # sits: see test_cases.py).
    assert [(d.code, d.row) for d in after] == [("SHP101", model.line_of("self.pool = nn.MaxPool2d(2)"))]


def test_command_line_and_config_declarations():
    model = case("declarations/command_line_input_by_path.py")
    _, output = parse_cli_shape("Net=1,8,6,7")
    _, config_input = parse_cli_shape("Net=1,3,8,8")
    result = analyze(model, Options(config_inputs={"Net": config_input}, cli_outputs={"Net": output}))
    assert [d.code for d in result.diagnostics] == ["SHP101"]


def test_layers_built_in_a_loop_leave_a_safe_fix_after_them():
    result = analyze(case("channels/after_layers_built_in_a_loop.py"))
    assert result.diagnostics[0].fix.applicability == "safe"


def test_models_and_layer_lines():
    model_file = case(CHANNELS)
    (model,) = analyze(model_file).models
    assert (model.name, model.line, model.input) == ("Net", model_file.line_of("class Net"), (2, 3, 16, 16))
    assert [(layer.name, layer.type, layer.line) for layer in model.layers] == [
        ("conv1", "Conv2d", model_file.line_of("self.conv1 =")),
        ("bn", "BatchNorm2d", model_file.line_of("self.bn =")),
        ("conv2", "Conv2d", model_file.line_of("self.conv2 =")),
    ]


def test_an_example_input_builds_the_model_with_the_example_arguments():
    result = analyze(case("silent/example_input_builds_with_the_example_arguments.py"))
    (model,) = result.models
    assert (model.input, model.output) == ((1, 4, 10, 10), (1, 8, 8, 8))


def test_several_added_arguments_are_one_edit():
    mismatch = only(analyze(case("declared_output/several_added_arguments_are_one_edit.py")), "SHP101")
    (edit,) = mismatch.fix.edits
    assert edit.start == edit.end and edit.content.startswith(", ")
