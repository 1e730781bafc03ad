"""The abstract values the interpreter computes with, in place of running the user's code.

Plain Python constants (int, float, str, bool, None, tuple, list, dict) stand for themselves;
``UNKNOWN`` is anything that could not be evaluated. Tensors are known only by their shape;
modules are the tree that ``model.named_modules()`` would show, with the shapes of their first
call; functions and classes are references to their definitions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, Optional, Tuple

import ast

from ..core.layers import UNKNOWN, LayerSpec
from ..core.shapes import MaybeShape


class Tensor:
    """A tensor of known rank (``shape`` a tuple of dims) or unknown rank (``shape`` None)."""

    __slots__ = ("shape",)

    def __init__(self, shape: MaybeShape) -> None:
        self.shape = tuple(shape) if shape is not None else None

    def __repr__(self) -> str:
        return f"Tensor({self.shape})"


@dataclass(frozen=True)
class Symbol:
    """A symbolic size (``b`` of a declared ``"b 3 h w"``) read into a Python value.

    Kept apart from ``str`` so that arithmetic on it is unknown, not string repetition.
    """

    name: str


def dim_value(dim: Any) -> Any:
    """A shape dim as an interpreter value: int, Symbol or UNKNOWN."""
    if isinstance(dim, bool):
        return UNKNOWN
    if isinstance(dim, int):
        return dim
    if isinstance(dim, str):
        return Symbol(dim)
    return UNKNOWN


def value_dim(value: Any) -> Any:
    """An interpreter value as a shape dim: int, str (symbolic) or None (unknown)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Symbol):
        return value.name
    return None


@dataclass(eq=False)
class Declared:
    """A shape declaration attached to a tensor-producing place (layer or statement)."""

    spec: Any  # declarations.ShapeSpec
    line: int
    source: str  # "pragma", "jaxtyping", "cli", "config", "example"


@dataclass(eq=False)
class ModuleValue:
    """An ``nn.Module`` instance. Identity matters: a module registered twice is listed once."""

    type_name: str
    #: The constructor call and the statement holding it (for positions); None when synthetic.
    node: Optional[ast.Call] = None
    statement: Optional[ast.stmt] = None
    children: Dict[str, "ModuleValue"] = field(default_factory=dict)
    #: True when the children could not all be evaluated (a loop of unknown length, ...).
    incomplete: bool = False
    #: Why, when known (for ``shapes`` and SHP301).
    incomplete_reason: str = ""
    #: True when built under a condition that could not be evaluated: never report on it.
    uncertain: bool = False
    called: bool = False
    first_input: MaybeShape = None
    first_output: MaybeShape = None
    declared_output: Optional[Declared] = None
    #: When its first call began and ended, in the model's count of module calls (0: not
    #: called): which unknown came before its output, for its ``unknown_reason``.
    call_order: int = 0
    call_end: int = 0
    #: Set when code of another file built it: its own node and statement are that file's, so
    #: it is never edited here and what is found in it is reported at ``elsewhere.anchor``.
    elsewhere: Optional["Elsewhere"] = None

    def record_call(self, input_shape: MaybeShape, output_shape: MaybeShape) -> None:
        if not self.called:
            self.called = True
            self.first_input = input_shape
            self.first_output = output_shape

    def named_modules(self, prefix: str = "", seen: Optional[set] = None) -> Iterator[Tuple[str, "ModuleValue"]]:
        """As torch: depth first, each module once (under its first name), the root as ``""``."""
        if seen is None:
            seen = set()
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, child in self.children.items():
            if isinstance(child, ModuleValue):
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, seen)


@dataclass(eq=False)
class LayerModule(ModuleValue):
    """A torch.nn layer shapelint knows (an entry of the LAYERS table)."""

    spec: Optional[LayerSpec] = None
    params: Dict[str, Any] = field(default_factory=dict)
    #: How many times its constructor call ran (a call in a loop builds several layers).
    constructions: int = 1
    #: The calls of the file's plain functions that were running when it was built, innermost
    #: last (``conv_bn_relu(3, 8, 2)``): where a factory's parameters got their values.
    function_calls: Tuple[ast.Call, ...] = ()
    #: The integer values of the names its call's arguments read, at its construction.
    argument_names: Dict[str, int] = field(default_factory=dict)


@dataclass(eq=False)
class SequentialModule(ModuleValue):
    pass


@dataclass(eq=False)
class ModuleListModule(ModuleValue):
    pass


@dataclass(eq=False)
class ModuleDictModule(ModuleValue):
    pass


@dataclass(eq=False)
class OpaqueModule(ModuleValue):
    """A module whose behaviour shapelint does not know (nn.LSTM, a library model, an imported
    block, an item of ``nn.Sequential`` that could not be evaluated): it keeps its place (and
    name) in the module tree, and its output is unknown."""

    #: Why its output is unknown, for ``shapes`` and SHP301 ("`Down` is imported from `mylib`").
    reason: str = ""


#: ``type_name`` of a module whose class could not be determined.
UNKNOWN_TYPE = "?"


def unknown_module(reason: str, node: Optional[ast.Call] = None,
                   statement: Optional[ast.stmt] = None) -> OpaqueModule:
    """A module that is certainly there (an argument of ``nn.Sequential``, ...) but whose class
    or behaviour could not be evaluated."""
    return OpaqueModule(UNKNOWN_TYPE, node=node, statement=statement, reason=reason)


@dataclass(eq=False)
class UserModule(ModuleValue):
    """An instance of an nn.Module subclass defined in the analysed file."""

    cls: Any = None  # collect.ClassInfo
    attrs: Dict[str, Any] = field(default_factory=dict)
    #: Of a subclass of a torch layer (``class Conv2dSame(nn.Conv2d)``): the layer its
    #: ``super().__init__(...)`` built, which computes its output (not a child: it is itself).
    base_layer: Optional["LayerModule"] = None


# --------------------------------------------------------------------------- callables


@dataclass(frozen=True)
class TorchRef:
    """A name inside torch (``torch.nn.Conv2d``, ``torch.cat``, ``torch.nn.functional``)."""

    name: str

    def attr(self, attr: str) -> "TorchRef":
        return TorchRef(f"{self.name}.{attr}")


@dataclass(frozen=True)
class ExternalRef:
    """A name from another library we know something about (``collections.OrderedDict``)."""

    name: str


@dataclass(eq=False)
class ClassRef:
    info: Any  # collect.ClassInfo


@dataclass(eq=False)
class FunctionRef:
    #: ast.FunctionDef or ast.AsyncFunctionDef.
    node: ast.FunctionDef
    #: The class the function is defined in (for ``super()``), None for a module-level function.
    owner: Any = None
    #: The globals of the file that defines it, when that is not the analysed file.
    globals: Optional[Dict[str, Any]] = None


@dataclass(eq=False)
class BoundMethod:
    receiver: Any
    function: FunctionRef


@dataclass(eq=False)
class MethodRef:
    """A method of a built-in value: ``x.view``, ``layers.append``, ``self.convs.append``."""

    receiver: Any
    name: str


@dataclass(eq=False)
class PartialRef:
    """``functools.partial(func, *args, **kwargs)``: calling it calls ``func`` with those
    arguments first, as Python merges them."""

    func: Any
    args: Tuple[Any, ...]
    kwargs: Dict[str, Any]


@dataclass(eq=False)
class BuiltinRef:
    name: str


@dataclass(eq=False)
class SuperRef:
    receiver: Any
    #: The class whose bases ``super()`` searches.
    owner: Any


@dataclass(eq=False)
class LambdaRef:
    node: ast.Lambda
    scope: Dict[str, Any]
    globals: Optional[Dict[str, Any]] = None


@dataclass(eq=False)
class ModuleRef:
    """A Python module of the project (``import models.blocks as blocks``), read not imported:
    its attributes are its globals after its top level ran, then its submodules."""

    module: Any  # project.SourceModule


@dataclass(frozen=True)
class Elsewhere:
    """Where code of another file of the project was running: that file and line, and the
    statement of the analysed file that led there (which builds or calls the block)."""

    path: str
    line: int
    anchor: Optional[ast.stmt]
    #: The call in ``anchor`` that led there (the block's construction or call), when known.
    call: Optional[ast.Call] = None
    #: The other file's absolute path.
    file: str = ""
    #: When that file is an installed package's: the project file whose code called into it,
    #: that call and its statement (``Interpreter.boundary``), where the finding belongs.
    via: Optional[Tuple[Any, Optional[ast.Call], Optional[ast.stmt]]] = None

    def describe(self) -> str:
        return f"{self.path}:{self.line}"

    def path_beside(self, analysed: str) -> str:
        """The other file's path as the analysed file's path is written (``unet/parts.py``
        for ``unet/model.py``)."""
        return path_beside(analysed, self.path, self.file)


def path_beside(analysed: str, display: str, file: str = "") -> str:
    """Another file's path as the analysed file's path is written (``unet/parts.py`` for
    ``unet/model.py``), from its ``display`` path (relative to the analysed file's directory);
    its own ``file`` path when it is not beside it (an installed package's file)."""
    beside = os.path.normpath(os.path.join(os.path.dirname(analysed), display))
    if file and os.path.abspath(beside) != file:
        return file
    return beside


class ArgumentCapture:
    """Called like a function, gives back ``(args, kwargs)``: reads the arguments of a call
    (the constructor call of an example) with the interpreter's evaluation of each."""


def merge_shapes(a: MaybeShape, b: MaybeShape) -> MaybeShape:
    """What is certain about a tensor that is ``a`` on one path and ``b`` on another."""
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))


def merge_values(a: Any, b: Any) -> Any:
    if a is b:
        return a
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return Tensor(merge_shapes(a.shape, b.shape))
    if isinstance(a, (int, float, str, bool, type(None))) and type(a) is type(b) and a == b:
        return a
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return tuple(merge_values(x, y) for x, y in zip(a, b))
    return UNKNOWN

