"""The runner: discovery, noqa, the pre-filter, the cache, the worker pool, internal errors.

The engine is replaced by a small fake here, so that these tests say exactly what the runner
does with whatever the engine returns (the real engine is exercised by test_cli_check.py).
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from pathlib import Path

import pytest

import shapelint.analysis as analysis
from shapelint.frontends import runner
from shapelint.core.options import Options
from shapelint.core.results import Diagnostic, Edit, FileResult, Fix, LayerShape, ModelShapes


#: The fake engine reaches worker processes only when they are forked (Linux); elsewhere they
#: would import the real engine.
FORKED_WORKERS = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked only on Linux")


# --------------------------------------------------------------------------------------------
# A fake engine: one SHP101 per line containing "BUG", a crash on "CRASH".


class FakeEngine:
    def __init__(self) -> None:
        self.analyzed = []

    def mentions_layers(self, source: bytes) -> bool:
        return b"nn." in source

    def analyze_source(self, source, path, options, files=None):
        if isinstance(source, bytes):
            source = source.decode("utf-8")
        self.analyzed.append(path)
        if "CRASH" in source:
            raise RuntimeError("engine bug\non two lines")
        diagnostics = [
            Diagnostic("SHP101", f"bug {i}", path, i, line.index("BUG") + 1, i, line.index("BUG") + 4)
            for i, line in enumerate(re.split(r"\r\n|\r|\n", source), start=1)
            if "BUG" in line
        ]
        return FileResult(path, diagnostics)

    def analyze_file(self, path, options):
        return FileResult(path, [Diagnostic("SHP001", "cannot read", path, 1, 1, 1, 1)])


@pytest.fixture
def engine(monkeypatch):
    fake = FakeEngine()
    monkeypatch.setattr(analysis, "mentions_layers", fake.mentions_layers, raising=False)
    monkeypatch.setattr(analysis, "analyze_source", fake.analyze_source, raising=False)
    monkeypatch.setattr(analysis, "analyze_file", fake.analyze_file, raising=False)
    return fake


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def codes(outcome: runner.FileOutcome):
    return [(d.code, d.row) for d in outcome.result.diagnostics]


# --------------------------------------------------------------------------------------------
# Discovery


def test_discover_recurses_and_skips_the_usual_excludes(tmp_path):
    for name in ["a.py", "pkg/b.py", "pkg/sub/c.py", "pkg/notes.txt", ".git/d.py", ".venv/e.py",
                 "venv/f.py", "build/g.py", "dist/h.py", "__pycache__/i.py", ".tox/j.py",
                 ".eggs/k.py", "node_modules/l.py", "x.egg-info/m.py", "lib/site-packages/n.py",
                 ".shapelint_cache/o.py", "pkg/.ipynb_checkpoints/p.py"]:
        write(tmp_path / name, "")
    found = runner.discover([str(tmp_path)])
    assert [os.path.relpath(p, tmp_path) for p in found] == ["a.py", "pkg/b.py", "pkg/sub/c.py"]


def test_discover_skips_virtualenvs_of_any_name(tmp_path):
    write(tmp_path / "ci-env" / "pyvenv.cfg", "home = /usr/bin\n")
    write(tmp_path / "ci-env" / "lib" / "site.py", "")
    keep = write(tmp_path / "env" / "keep.py", "")  # no pyvenv.cfg: an ordinary package
    assert runner.discover([str(tmp_path)]) == [keep]


def test_discover_keeps_explicit_files_stdin_and_missing_paths_and_dedupes(tmp_path):
    script = write(tmp_path / "script", "")  # no .py suffix: named explicitly, so checked
    module = write(tmp_path / "m.py", "")
    missing = str(tmp_path / "missing.py")
    found = runner.discover([script, module, "-", module, str(tmp_path / "." / "m.py"), missing])
    assert found == [script, module, "-", missing]


def test_discover_applies_the_config_exclude_to_directories_and_explicit_files(tmp_path):
    keep = write(tmp_path / "keep.py", "")
    skip = write(tmp_path / "generated" / "skip.py", "")
    excluded = lambda path: "generated" in Path(path).parts  # noqa: E731
    assert runner.discover([str(tmp_path)], excluded) == [keep]
    assert runner.discover([skip], excluded) == []


def test_discover_relative_paths_are_shown_without_dot_slash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pkg" / "a.py", "")
    assert runner.discover(["."]) == [os.path.join("pkg", "a.py")]


# --------------------------------------------------------------------------------------------
# noqa


@pytest.mark.parametrize(
    "line,expected",
    [
        ("x = 1", None),
        ("x = 1  # noqa", ()),
        ("x = 1  # NOQA", ()),
        ("x = 1  # noqa because", ()),
        ("x = 1  # noqa: SHP101", ("SHP101",)),
        ("x = 1  # noqa:SHP101,SHP102", ("SHP101", "SHP102")),
        ("x = 1  # noqa: shp101 shp2", ("SHP101", "SHP2")),
        ("x = 1  # type: ignore  # noqa: SHP1 -- known", ("SHP1",)),
    ],
)
def test_noqa_codes(line, expected):
    assert runner.noqa_codes(line) == expected


def test_is_suppressed_matches_codes_by_prefix():
    d = Diagnostic("SHP101", "m", "f.py", 2, 1, 2, 2)
    assert runner.is_suppressed(d, ["", "y  # noqa"])
    assert runner.is_suppressed(d, ["", "y  # noqa: SHP1"])
    assert runner.is_suppressed(d, ["", "y  # noqa: E501,SHP101"])
    assert not runner.is_suppressed(d, ["", "y  # noqa: SHP102"])
    assert not runner.is_suppressed(d, ["y  # noqa", "y"])  # another line's noqa
    assert not runner.is_suppressed(Diagnostic("SHP101", "m", "f.py", 9, 1, 9, 1), ["y  # noqa"])


def test_check_file_applies_noqa(engine, tmp_path):
    path = write(tmp_path / "m.py", "nn.X  # BUG\nBUG  # noqa\nBUG  # noqa: SHP102\nBUG  # noqa: SHP101\n")
    outcome = runner.check_file(path, runner.Job(Options()))
    assert codes(outcome) == [("SHP101", 1), ("SHP101", 3)]


def test_noqa_rows_count_lines_as_python_does(engine, tmp_path):
    # A form feed is whitespace to Python but a line break to str.splitlines.
    path = write(tmp_path / "m.py", "nn.X\n\x0c\nBUG  # noqa\nBUG\n")
    outcome = runner.check_file(path, runner.Job(Options()))
    assert codes(outcome) == [("SHP101", 4)]


# --------------------------------------------------------------------------------------------
# Pre-filter, unreadable files, internal errors


def test_files_the_prefilter_rejects_are_not_analyzed(engine, tmp_path):
    path = write(tmp_path / "plain.py", "x = 1  # BUG\n")
    outcome = runner.check_file(path, runner.Job(Options()))
    assert outcome.result == FileResult(path) and engine.analyzed == []


def test_an_unreadable_file_goes_to_analyze_file(engine, tmp_path):
    outcome = runner.check_file(str(tmp_path / "missing.py"), runner.Job(Options()))
    assert codes(outcome) == [("SHP001", 1)]


def test_one_crashing_file_does_not_stop_the_others(engine, tmp_path):
    paths = [write(tmp_path / f"m{i}.py", "nn.X\nBUG\n") for i in range(3)]
    write(tmp_path / "m1.py", "nn.X\nCRASH\n")
    report = runner.run(paths, runner.Job(Options()), jobs=1)
    assert [o.path for o in runner.internal_errors(report.outcomes)] == [paths[1]]
    error = runner.internal_errors(report.outcomes)[0]
    assert error.error == "RuntimeError: engine bug on two lines"  # one line
    assert "Traceback" in error.traceback
    assert [codes(o) for o in report.outcomes if o.result] == [[("SHP101", 2)], [("SHP101", 2)]]


# --------------------------------------------------------------------------------------------
# Parallel runs


@FORKED_WORKERS
def test_parallel_results_equal_serial_results(engine, tmp_path):
    paths = []
    for i in range(40):
        body = "nn.X\n" + "ok\n" * (i % 5) + "BUG\n" * (i % 3) + ("CRASH\n" if i == 17 else "")
        paths.append(write(tmp_path / f"m{i:02d}.py", body))
    job = runner.Job(Options())
    assert runner.worker_count(4, len(paths)) == 4  # really a pool
    serial = runner.run(paths, job, jobs=1)
    parallel = runner.run(paths, job, jobs=4)
    assert [(o.path, o.result, o.error) for o in parallel.outcomes] == [
        (o.path, o.result, o.error) for o in serial.outcomes
    ]
    assert len(runner.internal_errors(parallel.outcomes)) == 1


def test_few_files_are_checked_in_process():
    assert runner.worker_count(8, 3) == 1
    assert runner.worker_count(None, 1) == 1
    assert runner.worker_count(1, 1000) == 1


# --------------------------------------------------------------------------------------------
# Cache


def cached_job(tmp_path: Path, options: Options = Options(), config_key: str = "c") -> runner.Job:
    return runner.Job(options, str(tmp_path / "cache"), runner.Cache.settings_key_for(config_key, options))


def test_cache_hit_miss_and_invalidation(engine, tmp_path):
    path = write(tmp_path / "m.py", "nn.X\nBUG\n")
    job = cached_job(tmp_path)
    first = runner.check_file(path, job)
    second = runner.check_file(path, job)
    assert (first.cached, second.cached) == (False, True)
    assert first.result == second.result and engine.analyzed == [path]

    write(tmp_path / "m.py", "nn.X\nBUG\nBUG\n")  # new content: a miss
    third = runner.check_file(path, job)
    assert not third.cached and codes(third) == [("SHP101", 2), ("SHP101", 3)]

    other_config = cached_job(tmp_path, config_key="other")  # new settings: a miss
    assert not runner.check_file(path, other_config).cached
    other_options = cached_job(tmp_path, Options(select=("SHP2",)))
    assert not runner.check_file(path, other_options).cached
    assert runner.check_file(path, job).cached
    assert len(engine.analyzed) == 4


def test_cache_key_includes_the_version(engine, tmp_path, monkeypatch):
    key = runner.Cache.settings_key_for("c", Options())
    monkeypatch.setattr(runner, "__version__", "99.0")
    assert runner.Cache.settings_key_for("c", Options()) != key


def test_cache_key_includes_the_engines_code(tmp_path, monkeypatch):
    key = runner.Cache.settings_key_for("c", Options())
    monkeypatch.setattr(runner, "code_fingerprint", lambda: "edited engine")
    assert runner.Cache.settings_key_for("c", Options()) != key


def test_code_fingerprint_follows_the_package_files(tmp_path, monkeypatch):
    package = tmp_path / "shapelint"
    write(package / "runner.py", "")
    write(package / "analysis" / "analyze.py", "x = 1\n")
    monkeypatch.setattr(runner, "__file__", str(package / "runner.py"))
    before = runner.code_fingerprint()
    assert runner.code_fingerprint() == before
    write(package / "analysis" / "analyze.py", "x = 22\n")
    assert runner.code_fingerprint() != before


def test_noqa_applies_to_cached_results_too(engine, tmp_path):
    path = write(tmp_path / "m.py", "nn.X\nBUG  # noqa\n")
    job = cached_job(tmp_path)
    assert codes(runner.check_file(path, job)) == []
    hit = runner.check_file(path, job)
    assert hit.cached and codes(hit) == []


def test_a_corrupted_cache_is_a_miss_and_gets_repaired(engine, tmp_path):
    path = write(tmp_path / "m.py", "nn.X\nBUG\n")
    job = cached_job(tmp_path)
    expected = runner.check_file(path, job).result
    entries = [p for p in (tmp_path / "cache").rglob("*.json")]
    assert len(entries) == 1
    for junk in [b"", b"{not json", b"\xff\xfe", json.dumps({"format": 1}).encode(), b"[1, 2]",
                 json.dumps({"format": 1, "content": runner.Cache.content_key((tmp_path / "m.py").read_bytes()),
                             "settings": job.settings_key, "result": {"path": path, "diagnostics": [{}]}}).encode()]:
        entries[0].write_bytes(junk)
        outcome = runner.check_file(path, job)
        assert outcome.error is None and not outcome.cached and outcome.result == expected
        assert runner.check_file(path, job).cached  # rewritten


def test_an_unwritable_cache_is_silently_skipped(engine, tmp_path):
    if os.geteuid() == 0:
        # root writes anywhere: make the cache directory a file instead.
        (tmp_path / "cache").write_text("not a directory")
    else:
        (tmp_path / "cache").mkdir()
        (tmp_path / "cache").chmod(stat.S_IRUSR | stat.S_IXUSR)
    path = write(tmp_path / "m.py", "nn.X\nBUG\n")
    job = cached_job(tmp_path)
    for _ in range(2):
        outcome = runner.check_file(path, job)
        assert outcome.error is None and not outcome.cached and codes(outcome) == [("SHP101", 2)]


def test_the_cache_directory_is_marked_like_ruffs(engine, tmp_path):
    path = write(tmp_path / "m.py", "nn.X\n")
    runner.check_file(path, cached_job(tmp_path))
    assert (tmp_path / "cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (tmp_path / "cache" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_cache_round_trips_every_field():
    fix = Fix("set stride=2", "safe", (Edit("2", (3, 4), (3, 5)), Edit("", (5, 1), (6, 1))))
    result = FileResult(
        "m.py",
        [Diagnostic("SHP101", "msg", "m.py", 3, 4, 3, 9, fix, "nn.Conv2d(3, 8, 3)"),
         Diagnostic("SHP201", "msg2", "m.py", 5, 1, 5, 2)],
        [ModelShapes("Net", "m.py", 2, (1, "b", None), None, (1, 2),
                     [LayerShape("", "Net", 2, (1, "b", None), None),
                      LayerShape("body.0", "Conv2d", 4, None, ("b", 8, None, 4))])],
    )
    assert runner.result_from_json(json.loads(json.dumps(runner.result_to_json(result)))) == result


def test_default_cache_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("SHAPELINT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert runner.default_cache_dir(str(tmp_path)) == str(tmp_path / ".shapelint_cache")
    assert runner.default_cache_dir(None) == str(tmp_path / "xdg" / "shapelint")
    monkeypatch.setenv("SHAPELINT_CACHE_DIR", str(tmp_path / "explicit"))
    assert runner.default_cache_dir(str(tmp_path)) == str(tmp_path / "explicit")


def test_find_project_root(tmp_path):
    (tmp_path / "proj" / "pkg" / "deep").mkdir(parents=True)
    (tmp_path / "proj" / "pyproject.toml").write_text("")
    assert runner.find_project_root(str(tmp_path / "proj" / "pkg" / "deep")) == str(tmp_path / "proj")


@FORKED_WORKERS
def test_a_warm_run_answers_from_the_cache_without_a_pool(engine, tmp_path, monkeypatch):
    paths = [write(tmp_path / f"m{i:02d}.py", "nn.X\nBUG\n") for i in range(40)]
    job = cached_job(tmp_path)
    cold = runner.run(paths, job, jobs=4)
    assert not any(o.cached for o in cold.outcomes)

    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started for cached files")

    monkeypatch.setattr(runner, "_run_parallel", no_pool)
    warm = runner.run(paths, job, jobs=4)
    assert all(o.cached for o in warm.outcomes)
    assert [(o.path, o.result) for o in warm.outcomes] == [(o.path, o.result) for o in cold.outcomes]


@FORKED_WORKERS
def test_a_dying_worker_does_not_lose_results(engine, tmp_path, monkeypatch):
    paths = [write(tmp_path / f"m{i:02d}.py", "nn.X\nBUG\n") for i in range(24)]
    paths.append(write(tmp_path / "zz_die.py", "nn.X\nDIE\n"))
    real = engine.analyze_source

    def analyze(source, path, options, files=None):
        if "DIE" in source and os.getpid() != parent:
            os._exit(1)  # a worker killed mid-run (out of memory, a signal)
        return real(source, path, options)

    parent = os.getpid()
    monkeypatch.setattr(analysis, "analyze_source", analyze)
    report = runner.run(paths, runner.Job(Options()), jobs=3)
    assert [o.path for o in report.outcomes] == sorted(paths)
    assert all(o.error is None for o in report.outcomes)
    assert [codes(o) for o in report.outcomes[:-1]] == [[("SHP101", 2)]] * 24


def test_the_settings_key_is_stable_for_equal_declarations():
    from shapelint.core.shapespec import parse_cli_shape

    def options(text):
        name, spec = parse_cli_shape(text)
        return Options(cli_inputs={name: spec})

    key = runner.Cache.settings_key_for("c", options("Net=b,3,2*h,64"))
    assert runner.Cache.settings_key_for("c", options("Net=b,3,2*h,64")) == key
    assert runner.Cache.settings_key_for("c", options("Net=b,3,2*h,65")) != key
