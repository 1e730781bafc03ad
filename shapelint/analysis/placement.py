"""Where a diagnostic is placed: where the fix goes (CONTRACT section 3).

- a fix: the text its first edit replaces (a keyword it adds: the call it adds it to);
- a layer's error without one: the argument at fault (``in_channels`` of a SHP102, the parameter
  a SHP103 names), else the layer's call. When that argument's value is a parameter of the
  reusable block whose ``__init__`` builds the layer (``nn.Conv2d(in_size, ...)`` in ``UNetUp``),
  the diagnostic goes to the argument of the call that built this instance of the block
  (``self.up7 = UNetUp(128, 64)``; the call when the parameter took its default), and names the
  layer inside the block; a parameter of the model itself, built with its defaults: the default;
- a model's output that misses its declaration: the layer its suggestion replaces, else
  ``forward``'s ``return``.

The contradicted declaration, and the layer inside a block, are related locations.
"""

from __future__ import annotations

import ast
import re
from typing import Dict, Iterator, List, NamedTuple, Optional, Set, Tuple

from ..core.codes import INVALID_PARAMETERS
from ..core.layers import POSITIONAL
from ..core.results import Edit, Fix, Related
from .positions import Positions, Range
from .propagate import Finding
from .values import LayerModule, ModuleValue, UserModule

#: Blocks inside blocks followed up to the caller: deeper nesting is rare, and each level costs a walk.
MAX_BLOCK_DEPTH = 4

#: What a pragma line starts its declaration with (a related location points at it).
PRAGMA_MARKER = "# shapelint:"


class Placed(NamedTuple):
    """Where a diagnostic goes, and what says why it is there."""

    where: Range
    notes: Tuple[str, ...] = ()
    related: Tuple[Related, ...] = ()


class _Ambiguous:
    """A value that no single argument of the caller carries (computed from several parameters,
    or passed through ``*args``/``**kwargs``): the caller's call is where it comes in."""


AMBIGUOUS = _Ambiguous()


def first_edit_range(fix: Optional[Fix], positions: Positions) -> Optional[Range]:
    """The text a fix's first edit replaces; for an edit that only adds a keyword argument,
    the call it adds it to."""
    if fix is None or not fix.edits:
        return None
    edit: Edit = min(fix.edits, key=lambda e: (e.start, e.end))
    if edit.start != edit.end:
        return edit.start, edit.end
    call = positions.call_with_arguments_ending_at(edit.start)
    if call is not None:
        return positions.node(call)
    return edit.start, edit.end


def fault_parameter(finding: Finding) -> Optional[str]:
    """The constructor parameter of the finding's layer that is at fault: the one its error's
    fix sets (``in_channels`` of a SHP102), else, for parameters PyTorch rejects, the first
    one the message names (the divisor of "not divisible by"). None when it is not one
    parameter (a size that vanishes)."""
    error, layer = finding.error, finding.layer
    if error is None or layer is None or layer.spec is None:
        return None
    if error.fix:
        return next(iter(error.fix))
    if error.code != INVALID_PARAMETERS:
        return None
    text = error.message.split(":", 1)[-1]
    # "num_channels=32 is not divisible by num_groups=3": the divisor is the setting to change.
    text = text.rsplit("divisible by", 1)[-1]
    named = [(match.start(), p.name) for p in layer.spec.signature
             for match in [re.search(rf"\b{re.escape(p.name)}\b", text)] if match]
    return min(named)[1] if named else None


def call_argument(call: ast.Call, layer: LayerModule, parameter: str) -> Optional[ast.expr]:
    """The expression passed for ``parameter`` in a layer's constructor call (None: not given)."""
    for keyword in call.keywords:
        if keyword.arg == parameter:
            return keyword.value
    positional = [p.name for p in layer.spec.signature if p.kind == POSITIONAL]
    if parameter in positional:
        index = positional.index(parameter)
        args = call.args
        if index < len(args) and not any(type(a) is ast.Starred for a in args[:index + 1]):
            return args[index]
    return None


def contains(outer: ast.AST, inner: ast.AST) -> bool:
    """Whether ``inner``'s text lies within ``outer``'s (positions of one file)."""
    return ((outer.lineno, outer.col_offset) <= (inner.lineno, inner.col_offset)
            and (inner.end_lineno, inner.end_col_offset) <= (outer.end_lineno, outer.end_col_offset))


# --------------------------------------------------------------------------- values of a block's parameters


def _init_parameters(init: ast.FunctionDef) -> List[str]:
    args = init.args
    names = [a.arg for a in args.posonlyargs + args.args]
    return names[1:] + [a.arg for a in args.kwonlyargs]  # without self


def _assignments(init: ast.FunctionDef) -> Tuple[Dict[str, int], Dict[str, ast.expr]]:
    """How many times each name is bound in ``__init__``'s own body, and the value of those
    bound once by a plain ``name = value``."""
    counts: Dict[str, int] = {}
    values: Dict[str, ast.expr] = {}
    pending: List[ast.AST] = list(init.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            counts[node.id] = counts.get(node.id, 0) + 1
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            values[node.targets[0].id] = node.value
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            counts[node.target.id] = counts.get(node.target.id, 0) + 1
        pending.extend(ast.iter_child_nodes(node))
    return counts, {name: value for name, value in values.items() if counts.get(name) == 1}


def block_parameter(init: ast.FunctionDef, expression: ast.expr):
    """The parameter of ``init`` whose value ``expression`` is computed from (directly, in an
    expression, or through a local bound once): its name, ``AMBIGUOUS`` for several, None
    for none or for a value that may depend on anything else bound in ``__init__``."""
    parameters = set(_init_parameters(init))
    counts, values = _assignments(init)
    found: List[str] = []

    def visit(node: ast.AST, seen: Set[str]) -> bool:
        for name in _loaded_names(node):
            if name in values and name not in seen:
                if not visit(values[name], seen | {name}):
                    return False
            elif name in parameters and (not counts.get(name) or name in seen):
                if name not in found:
                    found.append(name)
            elif counts.get(name):
                return False  # a local bound several times: which value reaches here is not said
        return True

    if not visit(expression, set()) or not found:
        return None
    return found[0] if len(found) == 1 else AMBIGUOUS


def _default_of(init: ast.FunctionDef, parameter: str) -> Optional[ast.expr]:
    """The default value of a parameter of ``init`` (None: it has none)."""
    args = init.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for arg, default in list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults)):
        if arg.arg == parameter:
            return default
    return None


def _root(trace) -> Optional[ModuleValue]:
    return trace.modules[0][1] if trace.modules else None


def _loaded_names(node: ast.AST) -> Iterator[str]:
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            yield child.id


def bound_argument(call: ast.Call, init: ast.FunctionDef, parameter: str):
    """The argument of ``call`` that binds ``parameter`` of ``init``: an expression, None when
    the parameter takes its default, or ``AMBIGUOUS`` when ``*args``/``**kwargs`` hide it."""
    for keyword in call.keywords:
        if keyword.arg == parameter:
            return keyword.value
    if any(type(a) is ast.Starred for a in call.args) or any(k.arg is None for k in call.keywords):
        return AMBIGUOUS
    positional = [a.arg for a in init.args.posonlyargs + init.args.args][1:]
    if parameter in positional:
        index = positional.index(parameter)
        if index < len(call.args):
            return call.args[index]
    return None


# --------------------------------------------------------------------------- the placer


class Placer:
    """Places the diagnostics of one file (see the module's docstring)."""

    def __init__(self, path: str, positions: Positions, classes) -> None:
        self.path = path
        self.positions = positions
        #: The ``__init__`` of each class of the file.
        self.inits = [info.methods["__init__"] for info in classes.values() if "__init__" in info.methods]
        #: id(module) -> its parent in the model, per trace (by id of its modules tuple).
        self._parents: Dict[int, Dict[int, ModuleValue]] = {}

    def related(self, message: str, where: Range) -> Related:
        (row, col), (end_row, end_col) = where
        return Related(message, self.path, row, col, end_row, end_col)

    # ----------------------------------------------------------------- a layer's argument

    def layer_fault(self, trace, finding: Finding) -> Optional[Placed]:
        """The argument at fault of the finding's layer, followed to the caller that passes it
        into a reusable block; None when the finding has no single such argument."""
        layer, call = finding.layer, finding.node
        if layer is None or not isinstance(call, ast.Call) or finding.error is None:
            return None
        parameter = fault_parameter(finding)
        argument = call_argument(call, layer, parameter) if parameter else None
        if argument is None:
            return None
        where = self.positions.node(argument)
        if where is None:
            return None
        passed = self.passed_by_caller(trace, finding, argument)
        if passed is None:
            return Placed(where)
        return Placed(passed, *self.away_from_layer(trace, layer))

    def away_from_layer(self, trace, layer: ModuleValue) -> Tuple[Tuple[str, ...], Tuple[Related, ...]]:
        """The note and related location that name a layer when its diagnostic sits elsewhere
        (the caller's argument that feeds the block it is in, the layer that made the count):
        "in `up7.conv` (`UNetUp`, line 12)" -- the block's class, else the layer's type."""
        call = layer.node
        where = self.positions.node(call) if isinstance(call, ast.Call) else None
        if where is None:
            return (), ()
        name = trace.names.get(id(layer)) or layer.type_name
        located = self._building_instance(trace, layer, call)
        block = located[0].type_name if located is not None and located[0] is not _root(trace) else None
        label = f"`{block}`" if block else layer.type_name
        described = f"`{name}` ({layer.type_name})" + (f" in `{block}`" if block else "")
        return (f"in `{name}` ({label}, line {where[0][0]})",), (self.related(described, where),)

    def passed_by_caller(self, trace, finding: Finding, argument: ast.expr) -> Optional[Range]:
        """Where the value of ``argument`` (of a layer's call in a class's ``__init__``) comes
        in: for a block built by a call of the file, that call's argument (the call itself when
        the parameter takes its default), followed out of blocks inside blocks; for the model
        built with its defaults, the default in its signature. None when the value is not a
        parameter of ``__init__`` or the instance was not built so. A block class whose every
        instance (two or more) fails alike is itself at fault: its callers are not."""
        found: Optional[Range] = None
        module: ModuleValue = finding.layer
        expression: ast.expr = argument
        failing = None
        for _ in range(MAX_BLOCK_DEPTH):
            located = self._building_instance(trace, module, expression)
            if located is None:
                break
            instance, init = located
            parameter = block_parameter(init, expression)
            if parameter is None:
                break
            if instance is _root(trace):
                default = self._model_default(trace, init, parameter)
                return self.positions.node(default) if default is not None else found
            call = instance.node
            if failing is None:
                failing = [f.layer for f in trace.findings
                           if f.code == finding.code and f.node is finding.node and f.layer is not None]
            if self._every_instance_fails(trace, init, failing):
                break  # the block itself is at fault, not the values its callers pass
            bound = bound_argument(call, init, parameter) if parameter is not AMBIGUOUS else AMBIGUOUS
            if bound is None or bound is AMBIGUOUS:
                return self.positions.node(call) or found
            found = self.positions.node(bound)
            if found is None:
                break
            module, expression = instance, bound
        return found

    def _every_instance_fails(self, trace, init: ast.FunctionDef, failing: List[ModuleValue]) -> bool:
        """Whether the model holds two or more blocks built by ``init`` and each holds one of
        the ``failing`` layers."""
        built = {id(module) for _, module in trace.modules
                 if isinstance(module, UserModule) and module.cls is not None
                 and (module.cls.find_method("__init__") or (None, None))[1] is init}
        if len(built) < 2:
            return False
        parents = self._parents_of(trace)
        holding = set()
        for layer in failing:
            current = parents.get(id(layer))
            while current is not None and id(current) not in built:
                current = parents.get(id(current))
            if current is not None:
                holding.add(id(current))
        return holding == built

    @staticmethod
    def _model_default(trace, init: ast.FunctionDef, parameter) -> Optional[ast.expr]:
        """The default of the model's ``parameter`` when the model is built with it: by an
        example that does not pass it, or with no arguments at all."""
        if parameter is AMBIGUOUS:
            return None
        build = trace.plan.build
        if build is not None:
            if bound_argument(build, init, parameter) is not None:
                return None
        elif any(_default_of(init, name) is None for name in _init_parameters(init)):
            return None  # built from a construction elsewhere in the file: not its defaults
        return _default_of(init, parameter)

    def _building_instance(self, trace, module: ModuleValue, expression: ast.expr):
        """(the instance whose ``__init__`` evaluated ``expression`` while building ``module``,
        that ``__init__``): a block a call of the file built, or the model itself."""
        init = next((init for init in self.inits if contains(init, expression)), None)
        if init is None:
            return None
        parents = self._parents_of(trace)
        root = _root(trace)
        current = parents.get(id(module))
        while current is not None:
            if isinstance(current, UserModule) and current.cls is not None and (
                    current is root or isinstance(current.node, ast.Call)):
                resolved = current.cls.find_method("__init__")
                if resolved is not None and resolved[1] is init:
                    return current, init
            if current is root:
                break
            current = parents.get(id(current))
        return None

    def _parents_of(self, trace) -> Dict[int, ModuleValue]:
        key = id(trace.modules)
        parents = self._parents.get(key)
        if parents is None:
            parents = {}
            for _, module in trace.modules:
                for child in module.children.values():
                    if isinstance(child, ModuleValue):
                        parents.setdefault(id(child), module)
                base = getattr(module, "base_layer", None)
                if base is not None:  # built by the subclass's own `super().__init__(...)`
                    parents.setdefault(id(base), module)
            self._parents[key] = parents
        return parents

    # ----------------------------------------------------------------- a model's output

    def model_return(self, trace) -> Optional[Range]:
        """The ``return`` of the model's ``forward`` (None for a model without one)."""
        info = trace.plan.info
        if info is None:
            return None
        found = info.find_method("forward")
        return self.positions.last_return(found[1]) if found is not None else None

    def declaration(self, declared, row: int) -> Tuple[Tuple[str, ...], Tuple[Related, ...]]:
        """The note and the related location of the contradicted declaration, when it is in the
        file (the note only when it is on another line than the diagnostic)."""
        if declared is None or declared.source in ("cli", "config") or not declared.line:
            return (), ()
        where = self.positions.line_text(declared.line, PRAGMA_MARKER)
        if where is None:
            return (), ()
        note = (f"declared at {self.path}:{declared.line}",) if declared.line != row else ()
        text = str(getattr(declared.spec, "text", "")).strip()
        if text and not text.startswith(("(", "[")):
            text = f"'{text}'"
        message = f"the declared shape {text}" if text else "the declared shape"
        return note, (self.related(message, where),)
