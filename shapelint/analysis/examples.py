"""Example inputs, part of the plan: a model called on a literal-shaped tensor somewhere in the
file (``Net()(torch.randn(1, 3, 64, 64))``, ``net = Net(8); net(x)``, torchinfo's ``summary(model,
input_size=...)``) declares its input, with the lowest precedence; the constructor call of the
example is the one the model is built with.

The search reads the module's top level and every indented block but class bodies, block by
block, and evaluates only the tensor arguments (quietly, in the module's scope).
"""

from __future__ import annotations

import ast
from collections import deque
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from ..core.layers import UNKNOWN
from ..core.shapes import is_known
from ..core.shapespec import DeclarationError, ShapeSpec, parse_shape_tuple
from .collect import bind_import, dotted_name
from .plan import Declaration, Evaluate, ParsedFile
from .positions import Positions
from .values import ClassRef, ExternalRef, FunctionRef, ModuleValue, Tensor, TorchRef, UserModule


class ModelRef(NamedTuple):
    """A model an expression stands for, and the constructor call that builds it (None: the
    file's own construction)."""

    name: str
    build: Optional[ast.Call]


class _Block(NamedTuple):
    """What the statements read so far in one block bound: names (the module's, and the block's
    imports), variables holding a model, and variables holding a tensor expression."""

    scope: Dict[str, Any]
    models: Dict[str, ModelRef]
    tensors: Dict[str, ast.expr]


def find_examples(parsed: ParsedFile, names: Mapping[str, Any], evaluate: Evaluate) -> Mapping[str, Declaration]:
    """The first example input of each model, by model name. ``names``: the module's names after
    its top level ran; ``evaluate``: evaluates an expression quietly in that scope."""
    search = _ExampleSearch(parsed.positions, names, evaluate)
    found: Dict[str, Declaration] = {}
    blocks = deque([list(parsed.tree.body)])
    while blocks:
        block = _Block(dict(names), {}, {})
        for statement in blocks.popleft():
            kind = type(statement)
            if kind in _SEARCHED_BLOCKS:
                blocks.extend(search.inner_blocks(statement))
            elif kind in _COMPOUND:
                continue
            elif kind is ast.Import or kind is ast.ImportFrom:
                bind_import(statement, block.scope)
            else:
                search.read(statement, block, found)
    return MappingProxyType(found)


class _ExampleSearch:
    def __init__(self, positions: Positions, names: Mapping[str, Any], evaluate: Evaluate) -> None:
        self.positions = positions
        self.names = names
        self.evaluate = evaluate

    def inner_blocks(self, statement: ast.stmt) -> List[List[ast.stmt]]:
        """Indented blocks only (not the one-line suite of ``if x: y``), and an ``else:`` (not
        an ``elif``)."""
        positions = self.positions
        blocks = []
        body = statement.body
        if body and positions.starts_line(body[0]):
            blocks.append(list(body))
        if type(statement) is ast.If and statement.orelse:
            orelse = statement.orelse
            elif_ = len(orelse) == 1 and type(orelse[0]) is ast.If and positions.starts_with(orelse[0], "elif")
            if not elif_ and positions.starts_line(orelse[0]):
                blocks.append(list(orelse))
        return blocks

    def read(self, statement: ast.stmt, block: _Block, found: Dict[str, Declaration]) -> None:
        """Note what the statement binds; record the examples its calls are."""
        if type(statement) is ast.Assign and len(statement.targets) == 1 and type(statement.targets[0]) is ast.Name:
            target = statement.targets[0].id
            model = self._model_of(statement.value, block)
            if model is not None:
                block.models[target] = model
            else:
                block.tensors[target] = statement.value
        for call in _calls_in(statement):
            example = self._example(call, block)
            if example is not None and example[0].name not in found:
                model, spec = example
                found[model.name] = Declaration(spec, "example", self._line(statement), build=model.build)

    def _example(self, call: ast.Call, block: _Block) -> Optional[Tuple[ModelRef, ShapeSpec]]:
        """The model a call runs, and the input shape it gives it (``net(x)``, ``net.forward(x)``,
        ``summary(net, input_size=...)``)."""
        func = call.func
        if type(func) is ast.Attribute and func.attr == "forward":
            func = func.value
        ref = self._static_value(func, block)
        if isinstance(ref, ExternalRef) and ref.name in ("torchinfo.summary",):
            return self._summary(call, block)
        model = self._model_of(func, block)
        if model is None:
            return None
        arguments = _arguments(call)
        if not arguments or arguments[0][0] is not None:
            return None
        argument = arguments[0][1]
        if type(argument) is ast.Name and argument.id in block.tensors:
            argument = block.tensors[argument.id]
        value = self.evaluate(argument)
        spec = _example_spec(value.shape) if isinstance(value, Tensor) else None
        return (model, spec) if spec is not None else None

    def _summary(self, call: ast.Call, block: _Block) -> Optional[Tuple[ModelRef, ShapeSpec]]:
        """torchinfo's ``summary(model, input_size=(...))`` (or the size passed second)."""
        arguments = _arguments(call)
        if not arguments:
            return None
        model = self._model_of(arguments[0][1], block)
        size = next((value for keyword, value in arguments[1:] if keyword is None or keyword == "input_size"), None)
        if model is None or size is None:
            return None
        spec = _example_spec(self._literal_shape(size))
        return (model, spec) if spec is not None else None

    def _model_of(self, node: ast.expr, block: _Block) -> Optional[ModelRef]:
        """The model an expression is (``Net()``, ``Net(8).eval()``, a factory's call, a
        variable holding one)."""
        # Peel `.eval()`, `.to(device)`, `.cuda()`.
        while type(node) is ast.Call and type(node.func) is ast.Attribute and node.func.attr in (
            "eval", "to", "cuda", "cpu", "train", "float", "double", "half"
        ):
            node = node.func.value
        if type(node) is ast.Call:
            ref = self._static_value(node.func, block)
            if isinstance(ref, ClassRef) and ref.info.kind:
                return ModelRef(ref.info.name, node)
            if isinstance(ref, FunctionRef) and not node.args and not node.keywords:
                return self._factory_model(ref.node, block)
            return None
        if type(node) is ast.Name:
            if node.id in block.models:
                return block.models[node.id]
            value = self.names.get(node.id)
            if isinstance(value, ModuleValue) and not isinstance(value, UserModule):
                return ModelRef(node.id, None)
        return None

    def _factory_model(self, function: ast.FunctionDef, block: _Block) -> Optional[ModelRef]:
        """The class a factory ``def resnet18(): return ResNet(BasicBlock, [2, 2, 2, 2])``
        returns, built as the file builds it."""
        body = function.body
        lines = _statement_lines(body) if body and self.positions.starts_line(body[0]) else []
        first = lines[-1][0] if lines else None  # the first statement of the last line
        if type(first) is not ast.Return or type(first.value) is not ast.Call:
            return None
        cls = self._static_value(first.value.func, block)
        if not isinstance(cls, ClassRef) or not cls.info.kind:
            return None
        params = function.args
        alone = len(lines) == 1 and not (params.args or params.posonlyargs or params.kwonlyargs
                                         or params.vararg or params.kwarg)
        # Its own call when nothing local can be in it; else the propagator's choice.
        return ModelRef(cls.info.name, first.value if alone else None)

    def _static_value(self, node: ast.expr, block: _Block) -> Any:
        name = dotted_name(node)
        if name is None:
            return UNKNOWN
        head, _, rest = name.partition(".")
        value = block.scope.get(head, UNKNOWN)
        for part in rest.split(".") if rest else ():
            if isinstance(value, TorchRef):
                value = value.attr(part)
            elif isinstance(value, ExternalRef):
                value = ExternalRef(f"{value.name}.{part}")
            else:
                return UNKNOWN
        return value

    def _literal_shape(self, node: ast.expr) -> Optional[Tuple[int, ...]]:
        value = self.evaluate(node)
        if isinstance(value, list) and value and isinstance(value[0], (tuple, list)):
            value = value[0]
        if isinstance(value, (tuple, list)) and value and all(is_known(v) for v in value):
            return tuple(value)
        return None

    def _line(self, node: ast.AST) -> int:
        lines = self.positions.statement_lines(node)
        return lines[0] if lines else 1


def _example_spec(shape: Optional[Tuple[Any, ...]]) -> Optional[ShapeSpec]:
    """The declaration an example input's literal shape makes; None when it is not a shape a
    tensor can have (``torch.randn(-1)``, a 30-digit size: the example fails when it runs)."""
    if shape is None or not all(is_known(d) and d >= 0 for d in shape):
        return None
    try:
        return parse_shape_tuple(repr(tuple(shape)))
    except (DeclarationError, ValueError):  # ValueError: an int of over 4,300 digits has no repr
        return None


#: Compound statements whose indented body the example search reads (not a class's).
_SEARCHED_BLOCKS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.If, ast.With, ast.AsyncWith,
                              ast.For, ast.AsyncFor, ast.While, ast.Try})
#: Compound statements it skips.
_COMPOUND = frozenset({ast.ClassDef} | {getattr(ast, name) for name in ("TryStar", "Match") if hasattr(ast, name)})
#: Every statement with an indented block.
BLOCK_STATEMENTS = _SEARCHED_BLOCKS | _COMPOUND


def _statement_lines(body: List[ast.stmt]) -> List[List[ast.stmt]]:
    """A block's statements grouped by line (``a = 1; return b`` is one line of two)."""
    lines: List[List[ast.stmt]] = []
    previous_end = -1
    for statement in body:
        if lines and statement.lineno == previous_end and type(statement) not in BLOCK_STATEMENTS \
                and type(lines[-1][-1]) not in BLOCK_STATEMENTS:
            lines[-1].append(statement)
        else:
            lines.append([statement])
        previous_end = statement.end_lineno or statement.lineno
    return lines


def _arguments(call: ast.Call) -> List[Tuple[Optional[str], ast.expr]]:
    """A call's arguments in source order, as (keyword or None, value): ``*x`` and ``**x`` give
    (None, x)."""
    found: List[Tuple[Optional[str], ast.expr]] = [
        (None, arg.value if type(arg) is ast.Starred else arg) for arg in call.args]
    found.extend((keyword.arg, keyword.value) for keyword in call.keywords)
    if call.keywords and any(type(arg) is ast.Starred for arg in call.args):
        # `f(a=1, *rest)`: positional stars may follow keywords.
        starts = [(a.lineno, a.col_offset) for a in call.args] + [(k.lineno, k.col_offset) for k in call.keywords]
        order = sorted(range(len(found)), key=starts.__getitem__)
        found = [found[i] for i in order]
    return found


def _calls_in(node: ast.AST) -> List[ast.Call]:
    """The calls in a statement (not in its lambdas), depth first, last child first."""
    found: List[ast.Call] = []
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is ast.Call:
            found.append(current)
        elif kind is ast.Lambda or kind is ast.FunctionDef or kind is ast.ClassDef:
            continue
        stack.extend(_children(current))
    return found


_NOT_CHILDREN = frozenset({"ctx", "op", "ops", "type_comment"})


def _child_fields() -> Mapping[type, Tuple[str, ...]]:
    """Per node type, the fields holding its child nodes, in source order."""
    table: Dict[type, Tuple[str, ...]] = {}
    pending = [ast.AST]
    while pending:
        kind = pending.pop()
        pending.extend(kind.__subclasses__())
        table[kind] = tuple(n for n in kind._fields if n not in _NOT_CHILDREN)
    table[ast.IfExp] = ("body", "test", "orelse")  # `a if b else c` is written in this order
    return MappingProxyType(table)


_CHILD_FIELDS = _child_fields()


def _children(node: ast.AST) -> List[ast.AST]:
    kind = type(node)
    if kind is ast.Dict:
        # Keys and values interleaved, as written (`**x` has no key).
        out: List[ast.AST] = []
        for key, value in zip(node.keys, node.values):
            if key is not None:
                out.append(key)
            out.append(value)
        return out
    names = _CHILD_FIELDS.get(kind)
    if names is None:
        names = tuple(n for n in kind._fields if n not in _NOT_CHILDREN)
    out = []
    for name in names:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            out.append(value)
        elif type(value) is list:
            out.extend(v for v in value if isinstance(v, ast.AST))
    return out
