"""Sizes from configuration (interpreter/configs.py, objects.py): argparse defaults, config files,
attribute dicts, namespaces, dataclasses, NamedTuples, plain config classes, closures. Each value
the interpreter knows is what Python gives (the same source is run by Python, with no command-line
options); what it cannot know exactly stays UNKNOWN."""

from __future__ import annotations

import ast
import os
import sys
import textwrap

import pytest

from shapelint.analysis.collect import index_file
from shapelint.analysis.evaluate import Scope
from shapelint.analysis.interpreter.configs import MAX_CONFIG_BYTES, find_config_file
from shapelint.analysis.positions import Positions
from shapelint.analysis.propagate import Propagator
from shapelint.analysis.run import _execute_block
from shapelint.core.layers import UNKNOWN

SOURCE = '''\
import argparse
import dataclasses
import functools
import json
import types
from dataclasses import dataclass, field
from typing import NamedTuple

base = argparse.ArgumentParser(add_help=False)
base.add_argument("--seed", type=int, default=0)
parser = argparse.ArgumentParser(description="a GAN", parents=[base])
parser.add_argument("--flip", action=argparse.BooleanOptionalAction, default=True)
parser.add_argument("--ngf", type=int, default=64)
parser.add_argument("--ndf", type=int, default="32")
parser.add_argument("-n", "--n-feats", type=int, default=16)
parser.add_argument("-k", type=int, default=3)
parser.add_argument("--width", dest="nc", type=int, default=3)
parser.add_argument("--cuda", action="store_true")
parser.add_argument("--no-norm", action="store_false")
parser.add_argument("--lr", type=float, default="2e-4")
parser.add_argument("--scales", type=int, nargs="+", default=[1, 2, 4])
parser.add_argument("--name")
parser.add_argument("--twice", type=lambda s: int(s) * 2, default="21")
group = parser.add_argument_group("model")
group.add_argument("--latent-dim", type=int, default=100)
parser.add_argument("--first", default=1)
parser.add_argument("--again", dest="first", default=2)
parser.set_defaults(ngf=48, extra=7)
parser.add_argument("files", nargs="*")
opt = parser.parse_args()
known, rest = parser.parse_known_args()
opt.img_size = opt.ngf * 2
as_dict = vars(opt)

ns = types.SimpleNamespace(a=1, b=[2, 3])
ns.c = ns.a + 10


class AttrDict(dict):
    def __init__(self, *args, **kwargs):
        super(AttrDict, self).__init__(*args, **kwargs)
        self.__dict__ = self


class DotDict(dict):
    __getattr__ = dict.get
    __setattr__ = dict.__setitem__


h = AttrDict({"upsample_rates": [8, 8, 2, 2], "num_mels": 80, "items": 5})
h.extra = 3
d = DotDict(channels=16)
d.depth = 4


@dataclass
class Cfg:
    ngf: int = 64
    scales: tuple = (1, 2)
    layers: list = field(default_factory=lambda: [3, 4])
    name: str = "g"

    @property
    def ngf2(self):
        return self.ngf * 2

    def total(self):
        return self.ngf + len(self.layers)


@dataclass(frozen=True)
class Frozen:
    width: int
    depth: int = 2


@dataclass
class Later:
    width: int

    def __post_init__(self):
        self.area = self.width * self.width


class Point(NamedTuple):
    x: int
    y: int = 5


class Options:
    base = 8

    def __init__(self, mult=2):
        self.width = self.base * mult
        self.layers = self.make()

    def make(self):
        return [self.width, self.width * 2]

    @staticmethod
    def twice(v):
        return 2 * v


class Derived(Options):
    def __init__(self):
        super().__init__(3)
        self.width += 1


def factory(n):
    scale = 3

    def inner(k):
        return n * scale + k

    scale = 4  # a closure sees the value at call time
    return inner


cfg = Cfg()
cfg2 = Cfg(32, layers=[1])
frozen = Frozen(7)
later = Later(3)
point = Point(1)
options = Options()
derived = Derived()
add = factory(10)
'''

#: Expressions that Python and the interpreter evaluate to the same plain value.
KNOWN = [
    "opt.seed", "opt.flip", "opt.ngf", "opt.ndf", "opt.n_feats", "opt.k", "opt.nc", "opt.cuda", "opt.no_norm", "opt.lr",
    "opt.scales", "opt.name", "opt.twice", "opt.latent_dim", "opt.first", "opt.extra", "opt.files",
    "opt.img_size", "known.ngf", "rest", "as_dict['img_size']", "sorted(as_dict)",
    "ns.a", "ns.b", "ns.c",
    "h.upsample_rates", "h['num_mels']", "h.num_mels", "h.items", "h.extra", "h['extra']", "len(h)",
    "h.get('num_mels')", "d.channels", "d['depth']", "d.missing",
    "cfg.ngf", "cfg.scales", "cfg.layers", "cfg.name", "cfg.ngf2", "cfg.total()", "cfg2.ngf",
    "cfg2.layers", "Cfg(name='x').name", "frozen.width", "frozen.depth", "later.area",
    "point.x", "point.y", "point[1]", "tuple(point)", "Point(y=2, x=0).y",
    "options.width", "options.layers", "options.twice(4)", "Options(5).width", "derived.width",
    "derived.layers", "add(1)", "Options.base",
    "functools.partial(Options, mult=4)().width",
]


def _interpreter(source: str, path=None) -> Propagator:
    module = ast.parse(source)
    propagator = Propagator(index_file(module))
    propagator.path = path
    scope = Scope(propagator.globals, propagator.globals)
    with propagator.silenced():
        _execute_block(module.body, scope, propagator, Positions(source, module))
    return propagator


def _value(propagator: Propagator, expression: str):
    return propagator.eval(ast.parse(expression, mode="eval").body, Scope(propagator.globals))


@pytest.fixture(scope="module")
def both():
    saved = sys.argv
    sys.argv = ["model.py"]  # a run without options
    try:
        namespace: dict = {}
        exec(compile(SOURCE, "model.py", "exec", dont_inherit=True), namespace)  # noqa: S102 - the test's own source
    finally:
        sys.argv = saved
    # The interpreter runs the module's code the way the analysis does (a function call at the
    # top level is not run; this source has none).
    return namespace, _interpreter(SOURCE)


@pytest.mark.parametrize("expression", KNOWN)
def test_configuration_values_are_what_python_gives(both, expression):
    namespace, propagator = both
    expected = eval(expression, namespace)  # noqa: S307 - the test's own expression
    got = _value(propagator, expression)
    assert got is not UNKNOWN, expression
    assert got == expected and type(got) is type(expected) or list(got) == list(expected), (expression, got, expected)


def _unknown(source: str, expression: str, path=None):
    return _value(_interpreter(textwrap.dedent(source), path), expression) is UNKNOWN


@pytest.mark.parametrize(
    "source, expression",
    [
        # Added under a condition the analysis cannot decide: unknown, the others still known.
        ("""
        import argparse, torch
        p = argparse.ArgumentParser()
        p.add_argument('--a', type=int, default=1)
        if torch.cuda.is_available():
            p.add_argument('--b', type=int, default=2)
        o = p.parse_args()
        """, "o.b"),
        # ... and the first of two options with the same dest wins: unknown when it is uncertain.
        ("""
        import argparse, torch
        p = argparse.ArgumentParser()
        if torch.cuda.is_available():
            p.add_argument('--x', dest='a', default=5)
        p.add_argument('--a', default=1)
        o = p.parse_args()
        """, "o.a"),
        ("""
        import argparse, torch
        p = argparse.ArgumentParser()
        p.add_argument('--a', default=1)
        if torch.cuda.is_available():
            p.set_defaults(a=3)
        o = p.parse_args()
        """, "o.a"),
        # In a loop over something unknown: the parser is not followed.
        ("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument('--a', default=1)
        for name in NAMES:
            p.add_argument('--' + name)
        o = p.parse_args()
        """, "o.a"),
        # Subparsers, a required option, arguments given, options added by code not followed.
        ("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument('--a', default=1)
        p.add_subparsers(dest='cmd')
        o = p.parse_args()
        """, "o.a"),
        ("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument('--a', type=int, required=True)
        o = p.parse_args()
        """, "o.a"),
        ("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument('--a', default=1)
        o = p.parse_args(['--a', '2'])
        """, "o.a"),
        ("""
        import argparse
        from mylib import add_model_args
        p = argparse.ArgumentParser()
        p.add_argument('--a', default=1)
        add_model_args(p)
        o = p.parse_args()
        """, "o.a"),
        ("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument('data')
        o = p.parse_args()
        """, "o.data"),
        # An object given to code not followed may have been changed by it.
        ("""
        import types
        from mylib import tweak
        ns = types.SimpleNamespace(a=1)
        tweak(ns)
        """, "ns.a"),
        ("""
        import types, torch
        ns = types.SimpleNamespace(a=1)
        if torch.cuda.is_available():
            ns.a = 2
        """, "ns.a"),
        # `object.__setattr__` (a frozen dataclass's __post_init__) is not followed.
        ("""
        from dataclasses import dataclass
        @dataclass(frozen=True)
        class Cfg:
            depth: int = 2
            def __post_init__(self):
                object.__setattr__(self, "depth", self.depth + 1)
        c = Cfg()
        """, "c.depth"),
        # Classes that are not followed exactly.
        ("""
        from mylib import Base
        class Cfg(Base):
            width = 3
        c = Cfg()
        """, "c.width"),
        ("""
        class Meta(type):
            pass
        class Cfg(metaclass=Meta):
            width = 3
        c = Cfg()
        """, "c.width"),
        ("""
        import functools
        class Cfg:
            @functools.cached_property
            def width(self):
                return 3
        c = Cfg()
        """, "c.width"),
        ("""
        class Cfg:
            def __init__(self):
                self.a = 1
        c = Cfg()
        """, "c.b"),
        ("""
        from dataclasses import dataclass
        @dataclass
        class Cfg:
            width: int
        c = Cfg()
        """, "c"),
        ("""
        import types
        ns = types.SimpleNamespace(a=1)
        """, "ns.b"),
        # An attribute dict whose items are not a dict's.
        ("""
        class Cfg(dict):
            def __getitem__(self, key):
                return 1
        c = Cfg(a=2)
        """, "c['a']"),
        # A library attribute dict not modelled (attrdict's AttrDict makes lists tuples).
        ("""
        from attrdict import AttrDict
        h = AttrDict({'a': [1]})
        """, "h.a"),
        # A missing config file, and a file read past its end.
        ("""
        import json
        cfg = json.load(open('no_such_config.json'))
        """, "cfg"),
    ],
)
def test_what_is_not_certain_stays_unknown(source, expression):
    assert _unknown(source, expression)


def test_a_config_file_is_read_next_to_the_file_then_up_to_the_project_root(tmp_path):
    project = tmp_path / "project"
    (project / "models" / "gan").mkdir(parents=True)
    (project / "pyproject.toml").write_text("")
    (project / "config.json").write_text('{"ngf": 64, "rates": [8, 8, 2, 2]}')
    (project / "models" / "gan" / "local.json").write_text('{"ngf": 32}')
    (tmp_path / "outside.json").write_text('{"ngf": 1}')
    model = project / "models" / "gan" / "model.py"
    source = textwrap.dedent("""
        import json, tomllib, yaml
        with open('config.json') as f:
            data = f.read()
        cfg = json.loads(data)
        local = json.load(open('local.json'))
        outside = json.load(open('../../../outside.json'))
        absolute = json.load(open(ABSOLUTE))
    """).replace("ABSOLUTE", repr(str(tmp_path / "outside.json")))
    model.write_text(source)
    propagator = _interpreter(source, str(model))
    assert _value(propagator, "cfg") == {"ngf": 64, "rates": [8, 8, 2, 2]}
    assert _value(propagator, "local['ngf']") == 32
    assert _value(propagator, "outside") is UNKNOWN  # outside the project: never read
    assert _value(propagator, "absolute") is UNKNOWN
    assert propagator.files_read == [str(project / "config.json"), str(project / "models" / "gan" / "local.json")]


def test_yaml_and_toml_files(tmp_path):
    (tmp_path / "setup.cfg").write_text("")
    (tmp_path / "cfg.yaml").write_text("model:\n  ngf: 64\n  rates: [8, 8, 2, 2]\nlr: 1e-3\n")
    (tmp_path / "cfg.toml").write_text("[model]\nngf = 64\nrates = [8, 8]\n")
    (tmp_path / "bad.json").write_text('{"ngf": 64,')
    (tmp_path / "big.json").write_text("[" + "1, " * (MAX_CONFIG_BYTES // 3) + "1]")
    model = tmp_path / "model.py"
    source = textwrap.dedent("""
        import json, tomllib, yaml
        with open('cfg.yaml') as f:
            y = yaml.safe_load(f)
        y2 = yaml.load(open('cfg.yaml'), Loader=yaml.FullLoader)
        y3 = yaml.load(open('cfg.yaml'), Loader=yaml.BaseLoader)
        with open('cfg.toml', 'rb') as f:
            t = tomllib.load(f)
        t2 = tomllib.load(open('cfg.toml'))
        bad = json.load(open('bad.json'))
        big = json.load(open('big.json'))
    """)
    model.write_text(source)
    propagator = _interpreter(source, str(model))
    yaml = pytest.importorskip("yaml")
    expected = yaml.safe_load((tmp_path / "cfg.yaml").read_text())
    assert _value(propagator, "y") == expected and _value(propagator, "y['lr']") == "1e-3"  # YAML 1.1: a string
    assert _value(propagator, "y2") == expected
    assert _value(propagator, "y3") is UNKNOWN  # BaseLoader reads every scalar as a string
    if sys.version_info >= (3, 11):
        assert _value(propagator, "t") == {"model": {"ngf": 64, "rates": [8, 8]}}
    assert _value(propagator, "t2") is UNKNOWN  # tomllib needs a binary file: a TypeError
    assert _value(propagator, "bad") is UNKNOWN
    assert _value(propagator, "big") is UNKNOWN


def test_without_a_project_root_only_the_files_directory_is_searched(tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text("{}")
    inner = tmp_path / "inner"
    inner.mkdir()
    monkeypatch.setattr("shapelint.analysis.interpreter.configs.PROJECT_MARKERS", ("no-such-marker",))

    class Holder:
        path = str(inner / "model.py")
        files_read: list = []

    (inner / "model.py").write_text("")
    assert find_config_file(Holder(), "config.json") is None
    assert find_config_file(Holder(), os.path.join("..", "config.json")) is None
    (inner / "config.json").write_text("{}")
    assert find_config_file(Holder(), "config.json") == str(inner / "config.json")
