"""Configuration: discovery (like ruff), validation (one-line errors), selection, excludes."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from shapelint.frontends.config import ConfigError, load_config
from shapelint.core.solver_bounds import Bounds


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def config_error(tmp_path: Path, body: str, name: str = "pyproject.toml") -> str:
    write(tmp_path / name, body)
    (tmp_path / "m.py").write_text("", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config([str(tmp_path / "m.py")])
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert str(tmp_path / name) in message
    return message


# --------------------------------------------------------------------------------- discovery


def test_nearest_pyproject_with_a_shapelint_table_wins(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.shapelint]\nselect = ["SHP1"]\n')
    write(tmp_path / "sub" / "pyproject.toml", '[tool.shapelint]\nselect = ["SHP2"]\n')
    write(tmp_path / "sub" / "pkg" / "net.py", "")
    config = load_config([str(tmp_path / "sub" / "pkg" / "net.py")])
    assert config.source == str(tmp_path / "sub" / "pyproject.toml")
    assert config.root == str(tmp_path / "sub")
    assert config.select == ("SHP2",)
    assert load_config([str(tmp_path)]).select == ("SHP1",)


def test_pyproject_without_the_table_is_passed_over(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.shapelint]\nmax-stride = 4\n")
    write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "x"\n[tool.ruff]\nline-length = 99\n')
    write(tmp_path / "sub" / "net.py", "")
    config = load_config([str(tmp_path / "sub" / "net.py")])
    assert config.source == str(tmp_path / "pyproject.toml")
    assert config.bounds == Bounds(max_stride=4)


def test_shapelint_toml_beats_pyproject_in_the_same_directory(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.shapelint]\nmax-stride = 4\n")
    write(tmp_path / "shapelint.toml", "max-stride = 5\n")
    assert load_config([str(tmp_path)]).bounds.max_stride == 5


def test_search_starts_at_the_common_directory_of_all_paths(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.shapelint]\nmax-stride = 4\n")
    write(tmp_path / "a" / "pyproject.toml", "[tool.shapelint]\nmax-stride = 5\n")
    write(tmp_path / "a" / "x.py", "")
    write(tmp_path / "b" / "y.py", "")
    config = load_config([str(tmp_path / "a" / "x.py"), str(tmp_path / "b" / "y.py")])
    assert config.bounds.max_stride == 4


def test_relative_paths_and_stdin_start_from_the_working_directory(tmp_path, monkeypatch):
    write(tmp_path / "pyproject.toml", "[tool.shapelint]\nmax-dilation = 2\n")
    write(tmp_path / "pkg" / "net.py", "")
    monkeypatch.chdir(tmp_path / "pkg")
    assert load_config(["net.py"]).bounds.max_dilation == 2
    assert load_config(["-"]).bounds.max_dilation == 2


def test_no_config_anywhere_gives_the_defaults(tmp_path, monkeypatch):
    # The search goes up to the filesystem root; tmp dirs have no shapelint settings above them.
    write(tmp_path / "net.py", "")
    monkeypatch.chdir(tmp_path)
    config = load_config([str(tmp_path / "net.py")])
    assert config.source is None
    assert config.root == str(tmp_path)
    assert config.bounds == Bounds()
    assert config.is_selected("SHP101", "net.py") and config.is_selected("SHP202", "net.py")
    assert not config.is_excluded("net.py")


def test_config_file_option_replaces_discovery(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.shapelint]\nmax-stride = 4\n")
    other = write(tmp_path / "conf" / "pyproject.toml", "[tool.shapelint]\nmax-stride = 6\n")
    standalone = write(tmp_path / "conf" / "lint.toml", "max-stride = 7\n")
    assert load_config([str(tmp_path)], str(other)).bounds.max_stride == 6
    config = load_config([str(tmp_path)], str(standalone))
    assert config.bounds.max_stride == 7
    assert config.root == str(tmp_path / "conf")


def test_config_file_pyproject_without_the_table_is_an_error(tmp_path):
    path = write(tmp_path / "pyproject.toml", "[tool.black]\nline-length = 99\n")
    with pytest.raises(ConfigError, match=r"no \[tool.shapelint\] table"):
        load_config([str(tmp_path)], str(path))


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config([str(tmp_path)], str(tmp_path / "nope.toml"))


# --------------------------------------------------------------------------------- errors


def test_unknown_key_names_file_and_key_and_suggests(tmp_path):
    message = config_error(tmp_path, "[tool.shapelint]\nmax_stride = 4\n")
    assert "tool.shapelint.max_stride: unknown setting (did you mean 'max-stride'?)" in message


def test_unknown_key_in_shapelint_toml_has_no_table_prefix(tmp_path):
    message = config_error(tmp_path, "colour = 1\n", name="shapelint.toml")
    assert message == f"{tmp_path / 'shapelint.toml'}: colour: unknown setting"


@pytest.mark.parametrize(
    "body, key, problem",
    [
        ('select = "SHP1"', "select", "expected a list of codes"),
        ('select = ["E501"]', "select", "unknown code 'E501'"),
        ('ignore = ["shp101"]', "ignore", "did you mean 'SHP101'?"),
        ('extend-select = [1]', "extend-select", "expected a list of codes"),
        ("max-stride = 0", "max-stride", "expected a positive integer, got int 0"),
        ("max-kernel-size = true", "max-kernel-size", "expected a positive integer"),
        ('max-dilation = "3"', "max-dilation", "expected a positive integer"),
        ('exclude = "build"', "exclude", "expected a list of glob patterns"),
        ('exclude = ["gen/{a,b"]', "exclude", "invalid glob"),
        ('per-file-ignores = ["tests/*"]', "per-file-ignores", "expected a table"),
        ('per-file-ignores = { "tests/*" = "SHP101" }', 'per-file-ignores."tests/*"', "expected a list"),
        ('per-file-ignores = { "tests/*" = ["XYZ"] }', 'per-file-ignores."tests/*"', "unknown code"),
        ("inputs = [1, 2]", "inputs", "expected a table"),
        ("inputs = { Net = 3 }", "inputs.Net", "shape must be a list"),
        ('inputs = { Net = [1, 3.5, 64] }', "inputs.Net", "3.5"),
        ('outputs = { "not a name" = [1, 2] }', 'outputs."not a name"', "expected a class or variable name"),
    ],
)
def test_bad_values_are_one_line_naming_file_and_key(tmp_path, body, key, problem):
    message = config_error(tmp_path, f"[tool.shapelint]\n{body}\n")
    assert f": tool.shapelint.{key}: " in message
    assert problem in message
    # A malformed shape is SHP002 (CONTRACT 4) even as a configuration error; nothing else is.
    assert ("SHP002" in message) == (problem in ("shape must be a list", "3.5"))


def test_invalid_toml_is_one_line(tmp_path):
    message = config_error(tmp_path, "[tool.shapelint]\nselect = [\n  'SHP1',\n")
    assert "invalid TOML" in message


def test_table_that_is_not_a_table(tmp_path):
    message = config_error(tmp_path, '[tool]\nshapelint = "yes"\n')
    assert "tool.shapelint: expected a table" in message


# --------------------------------------------------------------------------------- selection


def selection(tmp_path: Path, body: str):
    write(tmp_path / "pyproject.toml", f"[tool.shapelint]\n{body}\n")
    return load_config([str(tmp_path)])


def test_select_is_by_prefix(tmp_path):
    config = selection(tmp_path, 'select = ["SHP1", "SHP201"]')
    assert config.is_selected("SHP101", "a.py") and config.is_selected("SHP106", "a.py")
    assert config.is_selected("SHP201", "a.py")
    assert not config.is_selected("SHP202", "a.py")
    assert not config.is_selected("SHP002", "a.py")


def test_the_more_specific_selector_wins(tmp_path):
    config = selection(tmp_path, 'select = ["SHP1"]\nignore = ["SHP10"]\nextend-select = ["SHP101"]')
    assert config.is_selected("SHP101", "a.py")  # SHP101 (6) beats SHP10 (5)
    assert not config.is_selected("SHP102", "a.py")  # SHP10 (5) beats SHP1 (4)
    assert not config.is_selected("SHP106", "a.py")


def test_a_tie_goes_to_ignore(tmp_path):
    config = selection(tmp_path, 'select = ["SHP101"]\nignore = ["SHP101"]')
    assert not config.is_selected("SHP101", "a.py")


def test_extend_select_adds_to_the_default(tmp_path):
    config = selection(tmp_path, 'ignore = ["SHP2"]\nextend-select = ["SHP202"]')
    assert not config.is_selected("SHP201", "a.py")
    assert config.is_selected("SHP202", "a.py")
    assert config.is_selected("SHP101", "a.py")


def test_all_selector(tmp_path):
    config = selection(tmp_path, 'select = ["ALL"]\nignore = ["SHP2"]')
    assert config.is_selected("SHP003", "a.py") and not config.is_selected("SHP201", "a.py")


def test_unparsable_files_stay_reported_unless_named(tmp_path):
    # Like ruff's syntax errors: a narrower selection does not hide that a file was not checked.
    assert selection(tmp_path, 'select = ["SHP1"]').is_selected("SHP001", "a.py")
    assert selection(tmp_path, 'ignore = ["SHP0"]').is_selected("SHP001", "a.py")
    assert not selection(tmp_path, 'ignore = ["SHP001"]').is_selected("SHP001", "a.py")


def test_per_file_ignores(tmp_path, monkeypatch):
    config = selection(
        tmp_path,
        'per-file-ignores = { "tests/**" = ["SHP1"], "__init__.py" = ["SHP201"], "legacy/*.py" = ["SHP202"] }',
    )
    monkeypatch.chdir(tmp_path)
    assert not config.is_selected("SHP101", "tests/deep/test_net.py")
    assert not config.is_selected("SHP101", str(tmp_path / "tests" / "test_net.py"))
    assert config.is_selected("SHP201", "tests/test_net.py")
    assert not config.is_selected("SHP201", "pkg/sub/__init__.py")  # a bare name: any directory
    assert not config.is_selected("SHP202", "legacy/old.py")
    assert config.is_selected("SHP202", "legacy/sub/old.py")  # `*` stops at `/`
    assert config.is_selected("SHP101", "src/net.py")
    assert config.is_per_file_ignored("SHP101", "tests/x.py")


def test_per_file_ignores_are_relative_to_the_project_root_not_the_cwd(tmp_path, monkeypatch):
    config = selection(tmp_path, 'per-file-ignores = { "tests/*.py" = ["SHP101"] }')
    write(tmp_path / "tests" / "t.py", "")
    monkeypatch.chdir(tmp_path / "tests")
    assert not config.is_selected("SHP101", "t.py")


# --------------------------------------------------------------------------------- exclude


def test_exclude_globs(tmp_path, monkeypatch):
    config = selection(tmp_path, 'exclude = ["generated", "**/*_pb2.py", "vendor/**", "docs/*.py"]')
    monkeypatch.chdir(tmp_path)
    assert config.is_excluded("generated")
    assert config.is_excluded("pkg/generated/model.py")  # a bare name matches any directory
    assert config.is_excluded("pkg/api_pb2.py")
    assert config.is_excluded("api_pb2.py")
    assert config.is_excluded(str(tmp_path / "vendor" / "lib" / "net.py"))
    assert config.is_excluded("docs/conf.py")
    assert not config.is_excluded("docs/api/conf.py")  # `*` stops at `/`...
    assert not config.is_excluded("pkg/docs/conf.py")  # ...and a pattern with `/` is rooted
    assert not config.is_excluded("pkg/model.py")
    assert not config.is_excluded(".")
    assert not config.is_excluded("-")


def test_brace_and_class_globs(tmp_path, monkeypatch):
    config = selection(tmp_path, 'exclude = ["{build,out}/**", "model_[0-9].py"]')
    monkeypatch.chdir(tmp_path)
    assert config.is_excluded("build/x.py") and config.is_excluded("out/y/z.py")
    assert config.is_excluded("pkg/model_3.py")
    assert not config.is_excluded("pkg/model_a.py")
    assert not config.is_excluded("outer/x.py")


# --------------------------------------------------------------------------------- options


def test_options_carry_parsed_shapes_bounds_and_cli_shapes(tmp_path):
    config = selection(
        tmp_path,
        'max-kernel-size = 9\n[tool.shapelint.inputs]\nUpsampler = [16, 256, 16, 160, 160]\n'
        '"models/unet.py::UNet" = [1, 3, "h", "w"]\n[tool.shapelint.outputs]\nUpsampler = [16, 256, 16, 224, 224]',
    )
    sentinel = object()
    options = config.options({"Net": sentinel}, {})
    assert options.cli_inputs == {"Net": sentinel}
    # A key's path is resolved against the config file's directory (tmp_path here).
    assert set(options.config_inputs) == {"Upsampler", f"{tmp_path / 'models' / 'unet.py'}::UNet"}
    assert options.config_inputs["Upsampler"].resolve() == (16, 256, 16, 160, 160)
    assert options.config_outputs["Upsampler"].resolve() == (16, 256, 16, 224, 224)
    assert options.bounds == Bounds(max_kernel_size=9)


def test_options_select_is_the_effective_selection(tmp_path):
    options = selection(tmp_path, 'select = ["SHP1"]\nignore = ["SHP106"]').options({}, {})
    assert options.select == ("SHP001", "SHP101", "SHP102", "SHP103", "SHP104", "SHP105")
    assert options.ignore == ("SHP106",)


# --------------------------------------------------------------------------------- cache key


def test_cache_key_is_stable_and_follows_the_settings(tmp_path):
    body = 'select = ["SHP1"]\nmax-stride = 4\n[tool.shapelint.inputs]\nNet = [1, 3, 64, 64]'
    first = selection(tmp_path, body).cache_key()
    assert first == selection(tmp_path, body).cache_key()
    # Formatting and key order of the file do not matter, only the settings.
    assert first == selection(
        tmp_path, 'max-stride    = 4\nselect = [ "SHP1" ]\n[tool.shapelint.inputs]\nNet=[1,3,64,64]'
    ).cache_key()
    changed = [
        body.replace("max-stride = 4", "max-stride = 5"),
        body.replace('"SHP1"', '"SHP10"'),
        body.replace("64, 64", "64, 65"),
        body + '\n[tool.shapelint.outputs]\nNet = [1, 3, 64, 64]',
        'per-file-ignores = { "a.py" = ["SHP1"] }\n' + body,
    ]
    keys = {selection(tmp_path, b).cache_key() for b in changed}
    assert first not in keys and len(keys) == len(changed)
    assert len(first) == 64 and int(first, 16) >= 0


def test_dot_slash_and_absolute_patterns(tmp_path, monkeypatch):
    outside = tmp_path / "outside"
    config = selection(
        tmp_path / "proj",
        f'exclude = ["./gen/**", "{outside.as_posix()}/**"]\n'
        'per-file-ignores = { "./scripts/*.py" = ["SHP1"] }',
    )
    monkeypatch.chdir(tmp_path / "proj")
    assert config.is_excluded("gen/a.py")
    assert not config.is_excluded("src/gen.py")
    assert config.is_excluded(str(outside / "x" / "y.py"))
    assert not config.is_excluded(str(tmp_path / "elsewhere" / "y.py"))
    assert not config.is_selected("SHP101", "scripts/run.py")
    assert config.is_selected("SHP101", "src/scripts/run.py")


# --------------------------------------------------------------------------------- docs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_setting_is_documented():
    from shapelint.frontends.config import KNOWN_KEYS

    docs = DOCS.read_text(encoding="utf-8")
    table_keys = set(re.findall(r"^\| `([a-z-]+)` \|", docs, re.MULTILINE))
    assert table_keys == set(KNOWN_KEYS)


def test_documented_example_is_a_valid_config(tmp_path):
    docs = DOCS.read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", docs, re.DOTALL).group(1)
    write(tmp_path / "pyproject.toml", example)
    config = load_config([str(tmp_path)])
    assert config.select == ("SHP1", "SHP201")
    assert set(config.inputs) == {"Upsampler", "models/unet.py::UNet"}
    # The selection example of the docs: SHP101 only.
    config = selection(tmp_path, 'select = ["SHP1"]\nignore = ["SHP10"]\nextend-select = ["SHP101"]')
    assert [c for c in config.selected_codes() if c != "SHP001"] == ["SHP101"]


# --------------------------------------------------------------------------------- globs

from fnmatch import fnmatchcase  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from shapelint.frontends.config import glob_to_regex  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(pattern=st.text(alphabet="ab*?.[]!", max_size=8), name=st.text(alphabet="ab.", max_size=8))
def test_glob_within_one_name_agrees_with_fnmatch(pattern, name):
    # Without `/`, `{` and `**`, a glob means what fnmatch says it means.
    if "**" in pattern:
        return
    assert bool(glob_to_regex(pattern).match(name)) == fnmatchcase(name, pattern)


@pytest.mark.parametrize(
    "pattern, path, matches",
    [
        ("**/*.py", "a.py", True),
        ("**/*.py", "x/y/a.py", True),
        ("x/**", "x/y/a.py", True),
        ("x/**/a.py", "x/a.py", True),
        ("x/**/a.py", "x/y/z/a.py", True),
        ("x/*/a.py", "x/y/z/a.py", False),
        ("*.py", "x/a.py", False),
        ("{a,b}/*.py", "b/c.py", True),
        ("{a,b}/*.py", "c/c.py", False),
        ("a?c", "a/c", False),
    ],
)
def test_glob_separators(pattern, path, matches):
    assert bool(glob_to_regex(pattern).match(path)) == matches


def test_pyprojects_that_do_not_mention_shapelint_are_not_parsed(tmp_path):
    # One that cannot hold our table is not even parsed (faster, and not our business)...
    write(tmp_path / "pyproject.toml", "[tool.shapelint]\nmax-stride = 4\n")
    write(tmp_path / "sub" / "pyproject.toml", "this is [not toml\n")
    write(tmp_path / "sub" / "net.py", "")
    assert load_config([str(tmp_path / "sub" / "net.py")]).bounds.max_stride == 4
    # ...one that can is, and must be valid.
    write(tmp_path / "sub" / "pyproject.toml", "[tool.shapelint\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config([str(tmp_path / "sub" / "net.py")])


def test_bad_config_through_the_command_is_exit_2_with_one_line(tmp_path):
    import subprocess
    import sys

    write(tmp_path / "pyproject.toml", '[tool.shapelint]\nselect = ["SHP1"]\nmax-strid = 2\n')
    write(tmp_path / "net.py", "x = 1\n")
    done = subprocess.run(
        [sys.executable, "-m", "shapelint", "check", "--no-cache", "net.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert str(tmp_path / "pyproject.toml") in line
    assert "tool.shapelint.max-strid: unknown setting (did you mean 'max-stride'?)" in line
