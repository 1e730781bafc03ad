"""Where sizes come from configuration: argparse options, config files (JSON, YAML, TOML) read
from a literal path, and the libraries that make attribute dicts and namespaces.

- argparse: ``parser.parse_args()`` gives the options' defaults, what a run without options gets
  (the command line is unknown in principle). An option added under a condition that cannot be
  decided is unknown; a parser the interpreter cannot follow (subparsers, an option whose names
  or action are unknown, ``parser.register``) gives an unknown namespace.
- Config files: ``open(path)`` of a relative path is looked for next to the analysed file, then
  in its parent directories up to the project root (the directory with ``pyproject.toml``,
  ``setup.py``, ``setup.cfg`` or ``.git``); at most ``MAX_CONFIG_BYTES``. Every file read is
  recorded on the interpreter (``files_read``). A file that is missing, too big or does not
  parse is unknown, never an error.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ...core.layers import UNKNOWN
from ..values import ExternalRef
from .objects import MISSING, AttrDictValue, ConfigObject, FieldSpec, ObjectValue
from .plain_values import iter_known, known_constant, truth
from .stdlib import builtin_dict

if TYPE_CHECKING:
    from ..evaluate import Interpreter

#: The largest config file read.
MAX_CONFIG_BYTES = 1 << 20
#: The most values a config file may hold (a YAML file of aliases must not expand without end).
MAX_CONFIG_VALUES = 200_000
#: What marks a project's root directory.
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")

#: The result of a call this module does not handle.
NOT_HANDLED = object()


# --------------------------------------------------------------------------- argparse


class _Action:
    """One ``add_argument``: where its value goes and what it is without options."""

    __slots__ = ("dest", "default", "type", "required", "nargs", "positional", "uncertain")

    def __init__(self, dest: str, default: Any, type_: Any, required: Any, nargs: Any,
                 positional: bool, uncertain: bool) -> None:
        self.dest = dest
        self.default = default
        self.type = type_
        self.required = required
        self.nargs = nargs
        self.positional = positional
        self.uncertain = uncertain


class ParserValue(ConfigObject):
    """An ``argparse.ArgumentParser``: its actions in order, ``set_defaults`` values, and whether
    it can be followed (``complete``)."""

    def __init__(self, argument_default: Any = None) -> None:
        self.actions: List[_Action] = []
        self.defaults: Dict[str, Any] = {}
        self.option_strings: set = set()
        self.argument_default = argument_default
        self.complete = True

    def forget(self) -> None:
        self.complete = False


class GroupValue(ConfigObject):
    """An argument group (or mutually exclusive group) of a parser: its options are the parser's."""

    def __init__(self, parser: ParserValue, required: Any = False) -> None:
        self.parser = parser
        self.required = required

    def forget(self) -> None:
        self.parser.complete = False


_ACTION_DEFAULTS = {"store": None, "store_const": None, "store_true": False, "store_false": True,
                    "append": None, "append_const": None, "extend": None, "count": None}
#: Parser methods that change nothing the namespace depends on.
_READ_ONLY = frozenset({"print_help", "print_usage", "format_help", "format_usage", "get_default"})
_PARSE = frozenset({"parse_args", "parse_known_args", "parse_intermixed_args", "parse_known_intermixed_args"})


def make_parser(args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """``argparse.ArgumentParser(...)``."""
    if args:
        return UNKNOWN  # prog, usage, ... positionally: rare, not read
    parser = ParserValue(kwargs.get("argument_default"))
    if kwargs.get("prefix_chars", "-") != "-" or kwargs.get("conflict_handler", "error") != "error" \
            or "argument_default" in kwargs and kwargs["argument_default"] is UNKNOWN:
        parser.complete = False
    parents = kwargs.get("parents", [])
    items = iter_known(parents)
    if items is None or not all(isinstance(p, ParserValue) for p in items):
        parser.complete = False
        return parser
    for parent in items:
        parser.complete = parser.complete and parent.complete
        parser.actions.extend(parent.actions)
        parser.option_strings |= parent.option_strings
        parser.defaults.update(parent.defaults)
    return parser


def parser_method(interp: Interpreter, receiver: Any, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """A method of a parser or of one of its groups."""
    group = receiver if isinstance(receiver, GroupValue) else None
    parser = group.parser if group is not None else receiver
    uncertain = _under_condition(interp)
    if name == "add_argument":
        _add_argument(interp, parser, args, kwargs, uncertain or group is not None and group.required is not False)
        return UNKNOWN
    if name in ("add_argument_group", "add_mutually_exclusive_group"):
        required = kwargs.get("required", False) if name == "add_mutually_exclusive_group" else False
        return GroupValue(parser, required if group is None or group.required is False else UNKNOWN)
    if name == "set_defaults" and not args:
        for dest, value in kwargs.items():
            value = UNKNOWN if uncertain else value
            for action in parser.actions:
                if action.dest == dest:
                    action.default = value
            parser.defaults[dest] = value
        return None
    if group is None and name in _PARSE:
        return _parse(interp, parser, name, args, kwargs)
    if name not in _READ_ONLY:
        parser.complete = False  # add_subparsers, register, ...: not followed
    return UNKNOWN


def _under_condition(interp: Interpreter) -> bool:
    """Whether the code running may not run (a path of an undecidable ``if``)."""
    return interp.silent_writes is not None


def _add_argument(interp: Interpreter, parser: ParserValue, names: List[Any], kwargs: Dict[str, Any],
                  uncertain: bool) -> None:
    if not names or not all(isinstance(n, str) and n for n in names) or "**" in kwargs:
        parser.complete = False
        return
    positional = len(names) == 1 and not names[0].startswith("-")
    if positional:
        if "dest" in kwargs:
            parser.complete = False  # a ValueError in argparse
            return
        dest: Any = names[0]
    else:
        if not all(n.startswith("-") for n in names) or names[0] in ("-", "--"):
            parser.complete = False
            return
        dest = kwargs.get("dest", _dest_of(names))
        if parser.option_strings & set(names):
            parser.complete = False  # a conflict: argparse raises
            return
        parser.option_strings |= set(names)
    action = kwargs.get("action", "store")
    kind = action if isinstance(action, str) else "store" \
        if isinstance(action, ExternalRef) and action.name == "argparse.BooleanOptionalAction" else "custom"
    if kind in ("help", "version"):
        return
    if not isinstance(dest, str) or kind != "custom" and kind not in _ACTION_DEFAULTS:
        parser.complete = False
        return
    if "default" in kwargs:
        default = kwargs["default"]
    elif dest in parser.defaults:
        default = parser.defaults[dest]
    elif parser.argument_default is not None:
        default = parser.argument_default
    else:
        default = _ACTION_DEFAULTS.get(kind)
    required = kwargs.get("required", False)
    # A custom action class may set any default of its own.
    parser.actions.append(_Action(dest, default, kwargs.get("type"), required, kwargs.get("nargs"),
                                  positional, uncertain or kind == "custom"))


def _dest_of(names: List[str]) -> str:
    """argparse's ``dest`` of an option: its first long name (else its first name), without the
    dashes, ``-`` made ``_``."""
    long = [n for n in names if n.startswith("--")]
    return (long[0] if long else names[0]).lstrip("-").replace("-", "_")


def _parse(interp: Interpreter, parser: ParserValue, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """``parse_args()``: the namespace of a run without options."""
    argv = args[0] if args else kwargs.get("args")
    if len(args) > 1 or set(kwargs) - {"args"} or not parser.complete:
        return UNKNOWN
    if argv is not None and not (isinstance(argv, (list, tuple)) and not argv):
        return UNKNOWN  # options given: not parsed here
    namespace: Dict[str, Any] = {}
    first: Dict[str, _Action] = {}
    uncertain = set()
    for action in parser.actions:
        if action.uncertain:
            if action.dest not in first:
                uncertain.add(action.dest)
            continue
        if action.dest not in first and action.dest not in uncertain and not _is_suppress(action.default):
            first[action.dest] = action
            namespace[action.dest] = action.default
    for dest, value in parser.defaults.items():
        if dest not in namespace and dest not in first:
            namespace[dest] = value
    for dest, action in first.items():
        if dest in namespace:
            namespace[dest] = _value_without_options(interp, action, namespace[dest])
    for dest in uncertain:
        namespace[dest] = UNKNOWN
    result = ObjectValue("Namespace", None, namespace)
    return (result, []) if "known" in name else result


def _is_suppress(value: Any) -> bool:
    return isinstance(value, ExternalRef) and value.name == "argparse.SUPPRESS"


def _value_without_options(interp: Interpreter, action: _Action, value: Any) -> Any:
    """What argparse leaves in the namespace for an option not given: its default, a string
    default converted by its ``type``; unknown when argparse would exit (a required option)."""
    if action.positional:
        if action.nargs == "*" and value is None:
            return []
        if action.nargs not in ("?", "*"):
            return UNKNOWN  # required: a run without it exits
    elif truth(action.required) is not False:
        return UNKNOWN
    if isinstance(value, str) and action.type is not None:
        if isinstance(action.type, str):
            return UNKNOWN  # a name registered with parser.register
        converted = interp.call(action.type, [value], {}, None)
        return converted
    return value


# --------------------------------------------------------------------------- config files


class FileValue(ConfigObject):
    """A file opened for reading: its bytes (None when it could not be read), its mode."""

    def __init__(self, data: Optional[bytes], binary: bool, encoding: Optional[str]) -> None:
        self.data = data
        self.binary = binary
        self.encoding = encoding
        #: Read to its end (a second ``read()`` gives nothing).
        self.consumed = False
        self.closed = False

    def forget(self) -> None:
        self.data = None

    def take(self) -> Any:
        """Its whole content, read once: bytes or str; UNKNOWN when not known."""
        if self.data is None or self.closed:
            return UNKNOWN
        if self.consumed:
            return b"" if self.binary else ""
        self.consumed = True
        if self.binary:
            return self.data
        try:
            return self.data.decode(self.encoding or "utf-8")
        except (UnicodeDecodeError, LookupError):
            return UNKNOWN


def builtin_open(interp: Interpreter, args: List[Any], kwargs: Dict[str, Any], node: Any) -> Any:
    """``open(path, mode)`` for reading: the file found as ``find_config_file`` says."""
    names = ("file", "mode", "buffering", "encoding")
    bound = dict(zip(names, args))
    if len(args) > len(names) or set(kwargs) - set(names) - {"errors", "newline"} or set(bound) & set(kwargs):
        return UNKNOWN
    bound.update(kwargs)
    path, mode, encoding = bound.get("file"), bound.get("mode", "r"), bound.get("encoding")
    if not isinstance(path, str) or mode not in ("r", "rt", "tr", "rb", "br") or \
            encoding is not None and not isinstance(encoding, str) or "errors" in kwargs:
        return UNKNOWN
    found = find_config_file(interp, path)
    data = read_config_file(interp, found) if found is not None else None
    return FileValue(data, "b" in mode, encoding) if data is not None else UNKNOWN


def find_config_file(interp: Interpreter, path: str) -> Optional[str]:
    """The file a relative path names: next to the analysed file, else in a parent directory up
    to the project root (Python reads it relative to the working directory, which the analysis
    does not know: running from the file's directory or the project's root are the usual ways).
    An absolute path is read only inside the project."""
    start = _start_directory(interp)
    root = project_root(start)
    top = root if root is not None else start
    directories = [start]
    while directories[-1] != top:
        parent = os.path.dirname(directories[-1])
        if parent == directories[-1]:
            break
        directories.append(parent)
    for directory in directories if not os.path.isabs(path) else [top]:
        candidate = os.path.normpath(os.path.join(directory, path))
        if _inside(candidate, top) and os.path.isfile(candidate):
            return candidate
    return None


def _start_directory(interp: Interpreter) -> str:
    path = getattr(interp, "path", None)
    if path and os.path.isfile(path):
        return os.path.dirname(os.path.abspath(path))
    return os.path.abspath(os.getcwd())


def project_root(start: str) -> Optional[str]:
    """The nearest directory from ``start`` up holding one of ``PROJECT_MARKERS``."""
    directory = start
    while True:
        if any(os.path.exists(os.path.join(directory, marker)) for marker in PROJECT_MARKERS):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _inside(path: str, directory: str) -> bool:
    try:
        return os.path.commonpath([os.path.abspath(path), directory]) == directory
    except ValueError:  # different drives
        return False


def read_config_file(interp: Interpreter, path: str) -> Optional[bytes]:
    """The bytes of a config file (at most ``MAX_CONFIG_BYTES``), recorded in ``files_read``."""
    texts = interp.__dict__.setdefault("_config_texts", {})
    if path in texts:
        return texts[path]
    data: Optional[bytes] = None
    try:
        if os.path.getsize(path) <= MAX_CONFIG_BYTES:
            with open(path, "rb") as handle:
                data = handle.read(MAX_CONFIG_BYTES + 1)
            if len(data) > MAX_CONFIG_BYTES:
                data = None
    except OSError:
        data = None
    texts[path] = data
    if path not in interp.files_read:
        interp.files_read.append(path)
    return data


def file_method(receiver: FileValue, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    if name == "read" and not args and not kwargs:
        return receiver.take()
    if name == "close":
        receiver.closed = True
        return None
    if name in ("__enter__",):
        return receiver
    receiver.forget()  # readline, seek, ...: where it is is not followed
    return UNKNOWN


def _text_of(value: Any) -> Any:
    """What a loader reads: a str, bytes, or a file's content."""
    if isinstance(value, FileValue):
        return value.take()
    return value if isinstance(value, (str, bytes)) else UNKNOWN


def _load_json(args: List[Any], kwargs: Dict[str, Any]) -> Any:
    if len(args) != 1 or kwargs:
        return UNKNOWN
    text = _text_of(args[0])
    if text is UNKNOWN:
        return UNKNOWN
    try:
        return config_value(json.loads(text))
    except (ValueError, RecursionError):
        return UNKNOWN


_YAML_LOADERS = frozenset({"SafeLoader", "FullLoader", "Loader", "UnsafeLoader", "CSafeLoader", "CFullLoader",
                           "CLoader", "CUnsafeLoader"})


def _load_yaml(name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """``yaml.safe_load`` (``yaml.load`` with a loader that reads plain data the same way):
    only when PyYAML is importable here; a tag it does not know safely makes the file unknown."""
    loader = kwargs.get("Loader", args[1] if len(args) > 1 else None)
    if name == "yaml.load" and not (isinstance(loader, ExternalRef) and loader.name.startswith("yaml.")
                                    and loader.name[5:] in _YAML_LOADERS):
        return UNKNOWN
    if not args or len(args) > (2 if name == "yaml.load" else 1) or set(kwargs) - {"Loader"}:
        return UNKNOWN
    text = _text_of(args[0])
    if text is UNKNOWN:
        return UNKNOWN
    try:
        import yaml  # not a dependency of shapelint: without it, YAML files are unknown
    except ImportError:
        return UNKNOWN
    try:
        return config_value(yaml.safe_load(text))
    except (yaml.YAMLError, ValueError, RecursionError):
        return UNKNOWN


def _load_toml(name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """``tomllib.load(f)`` (a binary file) / ``tomllib.loads(s)``, and tomli's, on Python 3.11+."""
    if len(args) != 1 or kwargs:
        return UNKNOWN
    value = args[0]
    if name.endswith(".load"):
        if not isinstance(value, FileValue) or not value.binary:
            return UNKNOWN  # a TypeError in Python
    elif not isinstance(value, str):
        return UNKNOWN
    text = _text_of(value)
    if text is UNKNOWN:
        return UNKNOWN
    try:
        import tomllib
    except ImportError:
        return UNKNOWN
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return config_value(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError, RecursionError):
        return UNKNOWN


def config_value(value: Any) -> Any:
    """A parsed config as interpreter values: dicts, lists, strings, numbers, booleans, None;
    anything else (a date, a set) unknown where it is. Too many values: all unknown."""
    budget = [MAX_CONFIG_VALUES]

    def convert(item: Any) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise ValueError("too many values")
        if known_constant(item):
            return item
        if isinstance(item, dict):
            return {key: convert(inner) for key, inner in item.items() if known_constant(key)} \
                if all(known_constant(key) for key in item) else UNKNOWN
        if isinstance(item, list):
            return [convert(inner) for inner in item]
        return UNKNOWN

    return convert(value)


# --------------------------------------------------------------------------- libraries


def _namespace(args: List[Any], kwargs: Dict[str, Any], kind: str) -> Any:
    if args:
        return UNKNOWN
    return ObjectValue(kind, None, dict(kwargs))


def _easydict(value: Any) -> Any:
    """EasyDict's conversion: dicts become EasyDicts, within lists and tuples too."""
    if isinstance(value, dict):
        out = AttrDictValue("EasyDict", None, linked=True)
        for key, item in value.items():
            if not isinstance(key, str):
                return UNKNOWN
            out[key] = _easydict(item)
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(_easydict(item) for item in value)
    return value


def _attr_dict_of(kind: str, args: List[Any], kwargs: Dict[str, Any], recursive: bool) -> Any:
    if len(args) > 1:
        return UNKNOWN
    items = builtin_dict(list(args), dict(kwargs)) if args and args[0] is not None or kwargs else {}
    if items is UNKNOWN:
        return UNKNOWN
    if recursive:
        return _easydict(items)
    out = AttrDictValue(kind, None, linked=True)
    out.update(items)
    return out


def _munchify(args: List[Any], kwargs: Dict[str, Any]) -> Any:
    if len(args) != 1 or kwargs:
        return UNKNOWN

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            out = AttrDictValue("Munch", None, linked=True)
            for key, item in value.items():
                out[key] = convert(item)
            return out
        if isinstance(value, (list, tuple)):
            return type(value)(convert(item) for item in value)
        return value

    return convert(args[0])


def _field(args: List[Any], kwargs: Dict[str, Any]) -> Any:
    if args or set(kwargs) - {"default", "default_factory", "init", "repr", "hash", "compare", "metadata",
                              "kw_only"}:
        return UNKNOWN
    return FieldSpec(kwargs.get("default", MISSING), kwargs.get("default_factory", MISSING),
                     kwargs.get("init", True), kwargs.get("kw_only", None))


def call_library(interp: Interpreter, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """A call of a configuration library's name; ``NOT_HANDLED`` for any other name."""
    if name == "argparse.ArgumentParser":
        return make_parser(args, kwargs)
    if name in ("argparse.Namespace", "types.SimpleNamespace"):
        return _namespace(args, kwargs, name.rsplit(".", 1)[1])
    if name in ("json.load", "json.loads"):
        return _load_json(args, kwargs)
    if name in ("yaml.safe_load", "yaml.load", "yaml.full_load"):
        return _load_yaml(name, args, kwargs)
    if name in ("tomllib.load", "tomllib.loads", "tomli.load", "tomli.loads"):
        return _load_toml(name, args, kwargs)
    if name == "easydict.EasyDict":
        return _attr_dict_of("EasyDict", args, kwargs, recursive=True)
    if name == "munch.Munch":
        return _attr_dict_of("Munch", args, kwargs, recursive=False)
    if name == "munch.munchify":
        return _munchify(args, kwargs)
    if name == "dataclasses.field":
        return _field(args, kwargs)
    if name in ("copy.copy", "copy.deepcopy") and len(args) == 1 and not kwargs:
        return _copied(args[0], deep=name == "copy.deepcopy", budget=[1_000])
    return NOT_HANDLED


def _copied(value: Any, deep: bool, budget: List[int]) -> Any:
    """``copy.copy(value)`` / ``copy.deepcopy(value)`` of a configuration value (an object of a
    plain class, lists, dicts, constants); anything else (a module, a tensor) unknown."""
    budget[0] -= 1
    if budget[0] < 0:
        return UNKNOWN
    inner = (lambda item: _copied(item, deep, budget)) if deep else (lambda item: item)
    if known_constant(value) or value is None:
        return value
    if type(value) is tuple:
        items = tuple(inner(item) for item in value)
        return UNKNOWN if deep and any(item is UNKNOWN for item in items) else items
    if type(value) is list:
        return [inner(item) for item in value]
    if type(value) is dict:
        return {key: inner(item) for key, item in value.items()}
    if type(value) is ObjectValue and not value.forgotten:
        copy = ObjectValue(value.kind, value.cls, {key: inner(item) for key, item in value.attrs.items()},
                           value.frozen)
        return copy
    return UNKNOWN


def config_method(interp: Interpreter, receiver: Any, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """A method of a parser, a group or a file; NOT_HANDLED for other receivers."""
    if isinstance(receiver, (ParserValue, GroupValue)):
        return parser_method(interp, receiver, name, args, kwargs)
    if isinstance(receiver, FileValue):
        return file_method(receiver, name, args, kwargs)
    return NOT_HANDLED

