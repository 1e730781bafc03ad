"""Example inputs, part of the plan: a model called on a literal-shaped tensor somewhere in the
file (``Net()(torch.randn(1, 3, 64, 64))``, ``net = Net(8); net(x)``, torchinfo's ``summary(model,
input_size=...)``) declares its input, with the lowest precedence; the constructor call of the
example is the one the model is built with.

The search reads the module's top level and every indented block but class bodies (functions
such as ``def main():`` and ``def test_shapes():`` included), block by block, following what
each local name holds (``import torch`` in a function, ``x = torch.randn(...)``, ``net =
Net(4)``); it evaluates only expressions that run none of the file's code (quietly, in the
module's scope and the block's names). The first example of a model wins: the module's top level
first, then the blocks, shallower first and in source order.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Pattern, Tuple

from ..core.layers import UNKNOWN
from ..core.shapes import is_known
from ..core.shapespec import DeclarationError, ShapeSpec, parse_shape_tuple
from ..core.text import split_lines
from .collect import _is_main_guard, bind_import, dotted_name
from .plan import Declaration, Evaluate, ParsedFile
from .positions import Positions
from .values import (
    BuiltinRef,
    ClassRef,
    ExternalRef,
    FunctionRef,
    LambdaRef,
    ModuleValue,
    Tensor,
    TorchRef,
    UserModule,
)


class ModelRef(NamedTuple):
    """A model an expression stands for, and the constructor call that builds it (None: the
    file's own construction) with the local names its arguments see (``build_scope``)."""

    name: str
    build: Optional[ast.Call]
    build_locals: Mapping[str, Any] = MappingProxyType({})


class _Block(NamedTuple):
    """An indented block to read, and what its local names hold where it starts: the values of
    imports and of simple assignments, a ``ModelRef`` for a variable holding a model, UNKNOWN
    for what the search does not follow (a parameter, a loop variable, a call of the file's
    code). A name not there is the module's."""

    statements: List[ast.stmt]
    locals: Dict[str, Any]
    module_level: bool = False


def find_examples(parsed: ParsedFile, names: Mapping[str, Any], evaluate: Evaluate) -> Mapping[str, Declaration]:
    """The first example input of each model, by model name: the module's top level first, then
    the indented blocks, shallower first and in source order. ``names``: the module's names
    after its top level ran; ``evaluate``: evaluates an expression quietly in that scope (and
    the local names given)."""
    search = _ExampleSearch(parsed.positions, names, evaluate, ":=" in parsed.text)
    found: Dict[str, Declaration] = {}
    mentions = search.model_mentions()
    if mentions is None:
        return MappingProxyType(found)  # no model here: no example of one either
    lines = split_lines(parsed.text)
    project = parsed.project
    blocks = deque([_Block(list(parsed.tree.body), {}, True)])
    while blocks:
        block = blocks.popleft()
        for statement in block.statements:
            kind = type(statement)
            # A top-level block that names no model cannot run one: not read (speed).
            if kind in _SEARCHED_BLOCKS and (not block.module_level or mentions.search(
                    "\n".join(lines[statement.lineno - 1:statement.end_lineno or statement.lineno]))):
                blocks.extend(search.inner_blocks(statement, block.locals))
            if kind in BLOCK_STATEMENTS:
                search.after_block_statement(statement, block)
            elif (kind is ast.Import or kind is ast.ImportFrom) and not block.module_level:
                # (the module's own imports are in ``names`` already, with their final values)
                if project is None or not project.bind_now(statement, block.locals):
                    bind_import(statement, block.locals)
            else:
                search.read(statement, block.locals, found, block.module_level)
    return MappingProxyType(found)


class _ExampleSearch:
    def __init__(self, positions: Positions, names: Mapping[str, Any], evaluate: Evaluate, walrus: bool) -> None:
        self.positions = positions
        self.names = names
        self.evaluate = evaluate
        #: Whether the file may hold ``name := value`` (then any expression may bind a name).
        self.walrus = walrus
        #: id(compound statement) -> what it binds (each nested block is walked once).
        self.bound: Dict[int, List[Tuple[str, Optional[ast.expr]]]] = {}

    def model_mentions(self) -> Optional[Pattern[str]]:
        """A pattern of the names through which code reaches a model of the file: its model
        classes, factories and module-level models (and torchinfo's summary); None when the file
        has no model."""
        models: List[str] = []
        for name, value in self.names.items():
            if isinstance(value, ClassRef) and value.info.kind \
                    or isinstance(value, ModuleValue) and not isinstance(value, UserModule):
                models.append(name)
        if not models:
            return None
        for name, value in self.names.items():
            if isinstance(value, FunctionRef) and value.owner is None and self._factory_model(value.node, {}):
                models.append(name)
            elif isinstance(value, UserModule):  # `generator = Generator()`, called in a block
                models.append(name)
        models.extend(("summary", "torchinfo"))
        return re.compile(r"\b(?:" + "|".join(map(re.escape, models)) + r")\b")

    def inner_blocks(self, statement: ast.stmt, local: Dict[str, Any]) -> List[_Block]:
        """Indented blocks only (not the one-line suite of ``if x: y``), an ``else:`` and an
        ``elif``, each with the local names as they are where it starts."""
        positions = self.positions
        blocks = []
        body = statement.body
        if body and positions.starts_line(body[0]):
            blocks.append(_Block(list(body), self._entering(statement, local)))
        if type(statement) is ast.If and statement.orelse:
            orelse = statement.orelse
            elif_ = len(orelse) == 1 and type(orelse[0]) is ast.If and positions.starts_with(orelse[0], "elif")
            if elif_ or positions.starts_line(orelse[0]):
                blocks.append(_Block(list(orelse), dict(local)))
        return blocks

    @staticmethod
    def _entering(statement: ast.stmt, local: Dict[str, Any]) -> Dict[str, Any]:
        """The local names at the start of a statement's body: a function's parameters, a
        loop's variables and a ``with``'s targets are not followed."""
        inner = dict(local)
        kind = type(statement)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            params = statement.args
            for param in params.posonlyargs + params.args + params.kwonlyargs + [params.vararg, params.kwarg]:
                if param is not None:
                    inner[param.arg] = UNKNOWN
        elif kind is ast.For or kind is ast.AsyncFor:
            for name, _ in _bindings(statement.target):
                inner[name] = UNKNOWN
        elif kind is ast.With or kind is ast.AsyncWith:
            for item in statement.items:
                if item.optional_vars is not None:
                    for name, _ in _bindings(item.optional_vars):
                        inner[name] = UNKNOWN
        return inner

    def after_block_statement(self, statement: ast.stmt, block: _Block) -> None:
        """What a compound statement may bind in its block: unknown after it, unless it can
        only rebind a model variable to the same model (``if cuda: net = net.cuda()``). A
        module-level ``def`` or ``class`` is already among the module's names."""
        kind = type(statement)
        local = block.locals
        ran = kind in _DEFINITIONS or kind in _RUN_AT_MODULE_LEVEL and not _is_main_guard(statement)
        if block.module_level and ran:
            # The module's own code ran it: its names hold what it bound.
            for name, _ in _bound_in(statement, self.bound):
                local.pop(name, None)
            return
        values: Dict[str, List[Optional[ast.expr]]] = {}
        for name, value in _bound_in(statement, self.bound):
            values.setdefault(name, []).append(value)
        for name, assigned in values.items():
            before = local.get(name)
            same = isinstance(before, ModelRef) and all(
                value is not None and self._model_of(value, local) == before for value in assigned)
            if not same:
                local[name] = UNKNOWN

    def read(self, statement: ast.stmt, local: Dict[str, Any], found: Dict[str, Declaration],
             module_level: bool = False) -> None:
        """Record the examples the statement's calls are; then note what it binds. At the
        module's top level, a name the module's own code gave a value (``h = AttrDict(config)``)
        keeps it, unless it holds a model."""
        calls = _calls_in(statement)
        for call in calls:
            example = self._example(call, local)
            if example is not None and example[0].name not in found:
                model, spec = example
                found[model.name] = Declaration(spec, "example", self._line(statement), build=model.build,
                                                build_locals=model.build_locals)
        kind = type(statement)
        value = statement.value if kind is ast.Assign or kind is ast.AnnAssign else None
        targets = statement.targets if kind is ast.Assign else [statement.target] if value is not None else []
        if value is not None and all(type(target) is ast.Name for target in targets):
            bound = self._value_of(value, calls, local)
            for target in targets:
                if bound is UNKNOWN and module_level:
                    local.pop(target.id, None)  # the value the module's code gave it
                else:
                    local[target.id] = bound
            return
        if kind in _BINDING or self.walrus:
            for name, _ in _bound_in(statement, self.bound):
                local[name] = UNKNOWN

    def _value_of(self, node: ast.expr, calls: List[ast.Call], local: Dict[str, Any]) -> Any:
        """What a variable assigned ``node`` (whose calls are ``calls``) holds for the search: the
        model it is, or the value of an expression that runs none of the file's code (a tensor,
        a number, an import)."""
        model = self._model_of(node, local)
        if model is not None:
            return model
        if not self._runs_no_user_code(calls, local):
            return UNKNOWN
        return self.evaluate(node, _evaluable(local))

    def _runs_no_user_code(self, calls: List[ast.Call], local: Dict[str, Any]) -> bool:
        """Whether every call is of a torch name, a builtin or a method of a value that is no
        module (not of the file's functions and classes, nor a model's forward)."""
        for call in calls:
            func = call.func
            if type(func) is ast.Attribute:
                func = func.value
                if type(func) is ast.Call:
                    continue  # a method of a call's result: that call is checked on its own
            value = self._static_value(func, local)
            if isinstance(value, (ClassRef, FunctionRef, LambdaRef, ModelRef, ModuleValue)):
                return False
        return True

    def _example(self, call: ast.Call, local: Dict[str, Any]) -> Optional[Tuple[ModelRef, ShapeSpec]]:
        """The model a call runs, and the input shape it gives it (``net(x)``, ``net.forward(x)``,
        ``summary(net, input_size=...)``)."""
        func = call.func
        if type(func) is ast.Attribute and func.attr == "forward":
            func = func.value
        ref = self._static_value(func, local)
        if isinstance(ref, ExternalRef) and ref.name in ("torchinfo.summary",):
            return self._summary(call, local)
        model = self._model_of(func, local)
        if model is None:
            return None
        arguments = _arguments(call)
        if not arguments or arguments[0][0] is not None:
            return None
        value = self.evaluate(arguments[0][1], _evaluable(local))
        spec = _example_spec(value.shape) if isinstance(value, Tensor) else None
        return (model, spec) if spec is not None else None

    def _summary(self, call: ast.Call, local: Dict[str, Any]) -> Optional[Tuple[ModelRef, ShapeSpec]]:
        """torchinfo's ``summary(model, input_size=(...))`` (or the size passed second)."""
        arguments = _arguments(call)
        if not arguments:
            return None
        model = self._model_of(arguments[0][1], local)
        size = next((value for keyword, value in arguments[1:] if keyword is None or keyword == "input_size"), None)
        if model is None or size is None:
            return None
        spec = _example_spec(self._literal_shape(size, local))
        return (model, spec) if spec is not None else None

    def _model_of(self, node: ast.expr, local: Dict[str, Any]) -> Optional[ModelRef]:
        """The model an expression is (``Net()``, ``Net(8).eval()``, a factory's call, a
        variable holding one)."""
        # Peel `.eval()`, `.to(device)`, `.cuda()`.
        while type(node) is ast.Call and type(node.func) is ast.Attribute and node.func.attr in (
            "eval", "to", "cuda", "cpu", "train", "float", "double", "half"
        ):
            node = node.func.value
        if type(node) is ast.Call:
            ref = self._static_value(node.func, local)
            if isinstance(ref, ClassRef) and ref.info.kind:
                return ModelRef(ref.info.name, node, _build_locals(local))
            if isinstance(ref, FunctionRef) and not node.args and not node.keywords:
                return self._factory_model(ref.node, local)
            return None
        if type(node) is ast.Name:
            value = local[node.id] if node.id in local else self.names.get(node.id)
            if isinstance(value, ModelRef):
                return value
            if isinstance(value, ModuleValue) and not isinstance(value, UserModule):
                return ModelRef(node.id, None)
        return None

    def _factory_model(self, function: ast.FunctionDef, local: Dict[str, Any]) -> Optional[ModelRef]:
        """The class a factory ``def resnet18(): return ResNet(BasicBlock, [2, 2, 2, 2])``
        returns, built as the file builds it."""
        body = function.body
        lines = _statement_lines(body) if body and self.positions.starts_line(body[0]) else []
        first = lines[-1][0] if lines else None  # the first statement of the last line
        if type(first) is not ast.Return or type(first.value) is not ast.Call:
            return None
        cls = self._static_value(first.value.func, {})  # the factory runs in the module's scope
        if not isinstance(cls, ClassRef) or not cls.info.kind:
            return None
        params = function.args
        alone = len(lines) == 1 and not (params.args or params.posonlyargs or params.kwonlyargs
                                         or params.vararg or params.kwarg)
        # Its own call when nothing local can be in it; else the propagator's choice.
        return ModelRef(cls.info.name, first.value if alone else None)

    def _static_value(self, node: ast.expr, local: Dict[str, Any]) -> Any:
        name = dotted_name(node)
        if name is None:
            return UNKNOWN
        head, _, rest = name.partition(".")
        value = local[head] if head in local else self.names.get(head, UNKNOWN)
        for part in rest.split(".") if rest else ():
            if isinstance(value, TorchRef):
                value = value.attr(part)
            elif isinstance(value, ExternalRef):
                value = ExternalRef(f"{value.name}.{part}")
            else:
                return UNKNOWN
        return value

    def _literal_shape(self, node: ast.expr, local: Dict[str, Any]) -> Optional[Tuple[int, ...]]:
        value = self.evaluate(node, _evaluable(local))
        if isinstance(value, list) and value and isinstance(value[0], (tuple, list)):
            value = value[0]
        if isinstance(value, (tuple, list)) and value and all(is_known(v) for v in value):
            return tuple(value)
        return None

    def _line(self, node: ast.AST) -> int:
        lines = self.positions.statement_lines(node)
        return lines[0] if lines else 1


def _evaluable(local: Dict[str, Any]) -> Dict[str, Any]:
    """The local names as the interpreter sees them (a model variable is not evaluated)."""
    return {name: UNKNOWN if isinstance(value, ModelRef) else value for name, value in local.items()}


#: What an example's constructor arguments may read of the local names, as they are: values
#: that each run of the model may share (a module built here would be shared: it is not).
_SHAREABLE = (int, float, str, bool, type(None), Tensor, TorchRef, ExternalRef, ClassRef, FunctionRef,
              BuiltinRef, LambdaRef)


def _build_locals(local: Dict[str, Any]) -> Mapping[str, Any]:
    """The local names an example's constructor call sees: each a value every run of the model
    can start from (``fresh_locals`` copies lists and dicts), else UNKNOWN."""
    return MappingProxyType({name: value if _shareable(value) else UNKNOWN for name, value in local.items()})


def _shareable(value: Any) -> bool:
    if isinstance(value, ModelRef):
        return False
    if isinstance(value, (tuple, list)):
        return all(_shareable(item) for item in value)
    if isinstance(value, dict):
        return all(_shareable(key) and _shareable(item) for key, item in value.items())
    return isinstance(value, _SHAREABLE)


def fresh_locals(build_locals: Mapping[str, Any]) -> Dict[str, Any]:
    """The local names of an example's constructor call, for one run of the model: its lists
    and dicts copied (``__init__`` may change what it is given)."""
    return {name: _fresh(value) for name, value in build_locals.items()}


def _fresh(value: Any) -> Any:
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_fresh(item) for item in value)
    return value


def _bindings(target: ast.expr) -> List[Tuple[str, Optional[ast.expr]]]:
    """The names an assignment target binds (``a, *b``), none with a value of its own."""
    return [(node.id, None) for node in ast.walk(target) if type(node) is ast.Name]


def _bound_in(statement: ast.stmt, memo: Dict[int, List[Tuple[str, Optional[ast.expr]]]]
              ) -> List[Tuple[str, Optional[ast.expr]]]:
    """Every local name a statement may bind (in its blocks too, not in the functions and
    classes it defines): (name, the value assigned to it alone, or None). ``memo`` keeps what
    each compound statement binds."""
    known = memo.get(id(statement))
    if known is not None:
        return known
    found: List[Tuple[str, Optional[ast.expr]]] = []
    stack: List[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        kind = type(node)
        if node is not statement and kind in _SEARCHED_BLOCKS:
            found.extend(_bound_in(node, memo))  # nested as deep as blocks nest, not expressions
            continue
        if kind in _DEFINITIONS:
            found.append((node.name, None))
            continue  # what its body binds is its own
        elif kind is ast.Lambda:
            continue
        elif kind is ast.Assign:
            for target in node.targets:
                found.extend([(target.id, node.value)] if type(target) is ast.Name else _bindings(target))
        elif kind is ast.AnnAssign and node.value is not None or kind is ast.AugAssign:
            single = kind is ast.AnnAssign and type(node.target) is ast.Name
            found.extend([(node.target.id, node.value)] if single else _bindings(node.target))
        elif kind is ast.For or kind is ast.AsyncFor or kind is ast.Delete:
            for target in node.targets if kind is ast.Delete else [node.target]:
                found.extend(_bindings(target))
        elif kind is ast.withitem and node.optional_vars is not None:
            found.extend(_bindings(node.optional_vars))
        elif kind is ast.NamedExpr:
            found.extend(_bindings(node.target))
        elif kind is ast.Import or kind is ast.ImportFrom:
            bound: Dict[str, Any] = {}
            bind_import(node, bound)
            found.extend((name, None) for name in bound)
        elif kind is ast.ExceptHandler and node.name:
            found.append((node.name, None))
        elif getattr(node, "name", None) and kind.__name__ in ("MatchAs", "MatchStar"):
            found.append((node.name, None))
        elif kind.__name__ == "MatchMapping" and node.rest:
            found.append((node.rest, None))
        stack.extend(ast.iter_child_nodes(node))
    if type(statement) in BLOCK_STATEMENTS:
        memo[id(statement)] = found
    return found


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
#: Simple statements that may bind a local name (but for ``:=``).
_BINDING = frozenset({ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Delete})
#: Statements that define a name.
_DEFINITIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})
#: Compound statements the module's own code runs (``run.execute_module_level``), but for
#: ``if __name__ == "__main__":``.
_RUN_AT_MODULE_LEVEL = frozenset({ast.For, ast.While, ast.If, ast.Try})


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
