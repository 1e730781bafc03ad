"""Executing statements: one handler per ast statement type, found by
``Interpreter.exec_statement`` in ``SIMPLE_STATEMENTS`` (assignments, ``return``, imports, ...;
the value of the statement is returned, for the pragma check after it) or ``COMPOUND_STATEMENTS``
(``if``, loops, ``with``, ``try``, definitions). A simple statement without a handler (``pass``,
``del``, ``global``, ``assert``, ...) does nothing.

Control flow: ``return``, ``break``, ``continue`` and ``raise`` raise the signals of ``scope.py``.
A condition that cannot be decided runs both paths silently and keeps what they agree on; a loop
over something unknown is not run, and what it may change is forgotten (``unknown_effects.py``).
"""

from __future__ import annotations

import ast
import copy
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Tuple

from ...core.layers import UNKNOWN
from ..collect import bind_import, dotted_name
from ..project import SOURCE_KEY
from ..values import ExternalRef, FunctionRef, ModuleValue, Tensor, TorchRef, UserModule, merge_values
from .configs import FileValue
from .limits import MAX_ITERATIONS, MAX_STEPS, MAX_UNDECIDED_NESTING
from .objects import ClosureRef, ConfigObject, forget_object_attribute
from .plain_values import AUGMENTED, iter_known, known_constant, truth
from .scope import Abort, BreakSignal, ContinueSignal, ReturnSignal, Scope
from .unknown_effects import assigned_in, forget_attribute, havoc, unknown_in

if TYPE_CHECKING:
    from ..evaluate import Interpreter

Handler = Callable[["Interpreter", Any, Scope], Any]


class Assignment:
    """``target = value`` for every kind of target (a mixin of the Interpreter, in
    ``evaluate.py``)."""

    def assign(self, target: ast.expr, value: Any, scope: Scope) -> None:
        kind = type(target)
        if kind is ast.Name:
            scope.locals[target.id] = value
        elif kind is ast.Tuple or kind is ast.List:
            self._assign_unpacked(target.elts, value, scope)
        elif kind is ast.Attribute:
            receiver = self.eval(target.value, scope)
            self.set_attribute(receiver, target.attr, value)
        elif kind is ast.Subscript:
            self._assign_item(target, value, scope)
        elif kind is ast.Starred:
            self.assign(target.value, value, scope)

    def _assign_unpacked(self, elements: List[ast.expr], value: Any, scope: Scope) -> None:
        """``a, *rest, b = value``: each element its item, or UNKNOWN when they do not match."""
        starred = [i for i, e in enumerate(elements) if type(e) is ast.Starred]
        if isinstance(value, Tensor):
            # `a, b = x`: the rows of a tensor whose first dim is a known size.
            shape = value.shape
            items = None
            if shape and isinstance(shape[0], int) and not starred:
                items = [self.subscript(value, i) for i in range(shape[0])]
        else:
            items = iter_known(value)
        if items is not None and not starred and len(items) != len(elements):
            items = None
        if items is not None and starred:
            before = starred[0]
            after = len(elements) - before - 1
            if len(items) < before + after:
                items = None
            else:
                items = items[:before] + [list(items[before:len(items) - after])] + items[len(items) - after:]
        for i, element in enumerate(elements):
            self.assign(element, UNKNOWN if items is None else items[i], scope)

    def _assign_item(self, target: ast.Subscript, value: Any, scope: Scope) -> None:
        """``receiver[index] = value``: into a dict, list or module container."""
        receiver = self.eval(target.value, scope)
        index = target.slice
        # One index (not a slice, not `a, b`): an item of a dict, list or module container.
        if type(index) is not ast.Slice and type(index) is not ast.Tuple:
            key = self.eval(index, scope)
            if isinstance(receiver, dict) and known_constant(key):
                receiver[key] = value
                return
            if isinstance(receiver, list) and isinstance(key, int) and -len(receiver) <= key < len(receiver):
                receiver[key] = value
                return
            if isinstance(receiver, ModuleValue):
                self.module_method(receiver, "__setitem__", [key, value], {}, None)
                return
        if isinstance(receiver, list):
            receiver[:] = [UNKNOWN] * len(receiver)


# --------------------------------------------------------------------------- simple statements


def _assign(interp: Interpreter, node: ast.Assign, scope: Scope) -> Any:
    value = interp.eval(node.value, scope)
    for target in node.targets:
        interp.assign(target, value, scope)
    return value


def _expression(interp: Interpreter, node: ast.Expr, scope: Scope) -> Any:
    return interp.eval(node.value, scope)


def _return(interp: Interpreter, node: ast.Return, scope: Scope) -> Any:
    raise ReturnSignal(None if node.value is None else interp.eval(node.value, scope))


def _augmented_assign(interp: Interpreter, node: ast.AugAssign, scope: Scope) -> Any:
    current = interp.eval(node.target, scope)
    right = interp.eval(node.value, scope)
    op = type(node.op)
    if isinstance(current, list) and op is ast.Add:
        items = iter_known(right)
        if items is None:
            interp.assign(node.target, UNKNOWN, scope)
            return UNKNOWN
        current.extend(items)  # `layers += [...]` mutates the list in place
        return current
    value = interp.binary(op, current, right) if op in AUGMENTED else UNKNOWN
    interp.assign(node.target, value, scope)
    return value


def _annotated_assign(interp: Interpreter, node: ast.AnnAssign, scope: Scope) -> Any:
    if node.value is None:
        return None
    value = interp.eval(node.value, scope)
    interp.assign(node.target, value, scope)
    return value


def _break(interp: Interpreter, node: ast.Break, scope: Scope) -> Any:
    raise BreakSignal()


def _continue(interp: Interpreter, node: ast.Continue, scope: Scope) -> Any:
    raise ContinueSignal()


def _raise(interp: Interpreter, node: ast.Raise, scope: Scope) -> Any:
    raise Abort()


def _import(interp: Interpreter, node: ast.stmt, scope: Scope) -> Any:
    bind_import(node, scope.locals)
    return None


#: The handler of each simple statement that does something; it returns the statement's value.
SIMPLE_STATEMENTS: Dict[type, Handler] = {
    ast.Assign: _assign, ast.AugAssign: _augmented_assign, ast.AnnAssign: _annotated_assign,
    ast.Expr: _expression,
    ast.Return: _return, ast.Break: _break, ast.Continue: _continue, ast.Raise: _raise,
    ast.Import: _import, ast.ImportFrom: _import,
}

# --------------------------------------------------------------------------- compound statements


def _if(interp: Interpreter, node: ast.If, scope: Scope) -> None:
    t = truth(interp.eval(node.test, scope))
    if t is True:
        interp.exec_block(node.body, scope)
        return
    orelse = node.orelse  # `elif` is an ast.If alone in orelse
    if t is False:
        interp.exec_block(orelse, scope)
        return
    if interp.silent >= MAX_UNDECIDED_NESTING:
        # Undecidable inside undecidable (a recursive helper): both paths would double the
        # work at every level. Forget what the statement may change instead.
        havoc(interp, node, scope, under_condition(node), node)
        if interp.return_stack:
            interp.return_stack[-1].append(UNKNOWN)
        return

    # Undecidable: run both paths silently, keep what they agree on.
    _run_both(interp, node, scope)


def under_condition(node: ast.AST) -> str:
    """Why what a statement or expression builds under an undecidable condition is unknown."""
    return f"built under a condition that could not be evaluated (line {node.lineno})"


def _run_both(interp: Interpreter, node: ast.If, scope: Scope) -> None:
    """Run both paths of an undecidable ``if`` silently, each on a copy of the locals; then keep
    in ``scope`` what the paths that fell through agree on. Whatever either path builds or
    assigns elsewhere is unknown after it: a module either path puts under a name that every
    path fills is there, of unknown class and shape; one that only some paths put there may
    not exist, and is not listed (its parent is incomplete)."""
    effects = _Effects(interp, node, scope)
    results = []
    outer_writes = interp.silent_writes
    writes: List[Tuple[Any, str]] = []
    interp.silent_writes = writes
    interp.silent += 1
    returned: List[Any] = []
    try:
        for body in (node.body, node.orelse):
            local = Scope(scope.globals, dict(scope.locals), scope.owner)
            outcome = "fell"
            start = len(writes)
            try:
                interp.exec_block(body, local)
            except ReturnSignal as done:
                returned.append(done.value)
                outcome = "returned"
            except (BreakSignal, ContinueSignal, Abort):
                outcome = "left"
            effects.path_ended(writes[start:], outcome != "left")
            results.append((local, outcome))
    finally:
        interp.silent -= 1
        interp.silent_writes = outer_writes
        if outer_writes is not None:
            outer_writes.extend(writes)
    effects.forget_attributes(writes)
    try:
        _join_paths(interp, [local for local, outcome in results if outcome == "fell"], returned, scope, node)
    finally:
        effects.forget_filled(scope)


class _Effects:
    """What the two paths of an undecidable ``if`` do to the objects that outlive them: the
    attributes they set, the containers they fill (named by a variable or an attribute)."""

    def __init__(self, interp: Interpreter, node: ast.If, scope: Scope) -> None:
        self.node = node
        self.reason = under_condition(node)
        #: Per container: (it, what it held before).
        self.filled: List[Tuple[Any, Any]] = []
        #: (id(receiver), name) -> whether a module was there before.
        self.modules_before: Dict[Tuple[int, str], bool] = {}
        #: Per path that did not leave (raise, break): what each container held after it, and
        #: (id(receiver), name) -> whether a module is there after it, for the names it set.
        self.paths: List[Tuple[List[Any], Dict[Tuple[int, str], bool]]] = []
        self._read_before(interp, scope)

    def _read_before(self, interp: Interpreter, scope: Scope) -> None:
        assigned = assigned_in(self.node.body + self.node.orelse)
        if not assigned.receivers and not assigned.attributes:
            return
        interp.silent += 1
        try:
            for receiver in assigned.receivers:
                value = _evaluated(interp, receiver, scope)
                if isinstance(value, ModuleValue):
                    self.filled.append((value, dict(value.children)))
                elif isinstance(value, (list, dict)):
                    self.filled.append((value, copy.copy(value)))
            for receiver, name in assigned.attributes:
                value = _evaluated(interp, receiver, scope)
                if isinstance(value, ModuleValue):
                    self.modules_before[(id(value), name)] = isinstance(value.children.get(name), ModuleValue)
        finally:
            interp.silent -= 1

    def path_ended(self, writes: List[Tuple[Any, str]], counts: bool) -> None:
        """After one path: note what it left (when it did not leave by a raise), then give the
        containers back what they held before, for the other path."""
        if counts:
            contents = [_contents(value) for value, _ in self.filled]
            modules = {(id(receiver), name): isinstance(getattr(receiver, "children", {}).get(name), ModuleValue)
                       for receiver, name in writes}
            self.paths.append((contents, modules))
        for value, before in self.filled:
            _restore(value, before)

    def forget_attributes(self, writes: List[Tuple[Any, str]]) -> None:
        """Each attribute either path set: unknown; a module there when every path puts one
        there, else not listed."""
        for receiver, name in writes:
            if isinstance(receiver, ConfigObject):
                forget_object_attribute(receiver, name)
                continue
            if not isinstance(receiver, UserModule):
                continue
            key = (id(receiver), name)
            before = self.modules_before.get(key, False)
            certain = bool(self.paths) and all(modules.get(key, before) for _, modules in self.paths)
            if certain:
                forget_attribute(receiver, name, self.reason, self.node)
                continue
            if name in receiver.children:
                del receiver.children[name]
                receiver.incomplete = True
            receiver.attrs[name] = UNKNOWN  # whatever it holds, if anything

    def forget_filled(self, scope: Scope) -> None:
        """Each container either path filled: a module container keeps what every path left
        under each name (unknown where a path changed it) and is incomplete; a list or dict is
        unknown."""
        for position, (value, before) in enumerate(self.filled):
            afters = [contents[position] for contents, _ in self.paths] or [before]
            if all(_same_items(after, before) for after in afters):
                continue
            if isinstance(value, ModuleValue):
                value.children.clear()
                for key, child in afters[0].items():
                    if all(key in after for after in afters[1:]):
                        same = child is before.get(key) and all(after[key] is child for after in afters[1:])
                        value.children[key] = child if same else unknown_in(self.reason, self.node)
                value.incomplete = True
                continue
            # Its other holders see nothing certain in it either.
            if isinstance(value, list):
                value[:] = [UNKNOWN]
            else:
                for key in value:
                    value[key] = UNKNOWN
            for name, local in list(scope.locals.items()):
                if local is value:
                    scope.locals[name] = UNKNOWN


def _evaluated(interp: Interpreter, receiver: ast.expr, scope: Scope) -> Any:
    """The value of a receiver written as a name or an attribute path (any other is not
    evaluated twice: ``make().append(...)`` would build again)."""
    if dotted_name(receiver) is None:
        return UNKNOWN
    try:
        return interp.eval(receiver, scope)
    except (ReturnSignal, BreakSignal, ContinueSignal, Abort):
        return UNKNOWN


def _contents(value: Any) -> Any:
    return dict(value.children) if isinstance(value, ModuleValue) else copy.copy(value)


def _restore(value: Any, before: Any) -> None:
    if isinstance(value, ModuleValue):
        value.children.clear()
        value.children.update(before)
    elif isinstance(value, list):
        value[:] = before
    else:
        value.clear()
        value.update(before)


def _same_items(value: Any, before: Any) -> bool:
    if len(value) != len(before):
        return False
    if isinstance(value, list):
        return all(a is b for a, b in zip(value, before))
    return all(k in before and before[k] is v for k, v in value.items())


def merge_paths(a: Any, b: Any, node: ast.AST) -> Any:
    """What is certain about a value that is ``a`` on one path and ``b`` on the other (``node``
    decides which, undecidably): two different modules are a module of unknown class."""
    if a is not b and isinstance(a, ModuleValue) and isinstance(b, ModuleValue):
        return unknown_in(under_condition(node), node)
    return merge_values(a, b)


def _join_paths(interp: Interpreter, fell: List[Scope], returned: List[Any], scope: Scope,
                node: ast.If) -> None:
    """After two paths: the locals of those that fell through, merged into ``scope``; when no
    path fell through, the return (or abort) of both."""
    if not fell:
        if len(returned) == 2:
            raise ReturnSignal(merge_paths(returned[0], returned[1], node))
        if returned:
            raise ReturnSignal(UNKNOWN)
        raise Abort()
    names = set()
    for local in fell:
        names.update(local.locals)
    # When one path returned, what follows runs only after the other: its values are kept.
    for name in names:
        values = [local.locals.get(name, UNKNOWN) for local in fell]
        merged = values[0]
        for other in values[1:]:
            merged = merge_paths(merged, other, node)
        scope.locals[name] = merged
    if returned and interp.return_stack:
        interp.return_stack[-1].append(returned[0])


def _for(interp: Interpreter, node: ast.For, scope: Scope) -> None:
    iterable = interp.eval(node.iter, scope)
    items = iter_known(iterable) if not isinstance(iterable, Tensor) else None
    if items is None:
        havoc(interp, node.body, scope, f"built in a loop over something that could not be evaluated"
              f" (line {node.lineno})", node)
        return
    broke = False
    for item in items:
        interp.assign(node.target, item, scope)
        try:
            interp.exec_block(node.body, scope)
        except BreakSignal:
            broke = True
            break
        except ContinueSignal:
            continue
    if not broke and node.orelse:
        interp.exec_block(node.orelse, scope)


def _while(interp: Interpreter, node: ast.While, scope: Scope) -> None:
    for _ in range(MAX_ITERATIONS):
        t = truth(interp.eval(node.test, scope))
        if t is UNKNOWN:
            havoc(interp, node.body, scope, f"built in a loop whose condition could not be evaluated"
                  f" (line {node.lineno})", node)
            return
        if not t:
            if node.orelse:
                interp.exec_block(node.orelse, scope)
            return
        try:
            interp.exec_block(node.body, scope)
        except BreakSignal:
            return
        except ContinueSignal:
            continue
    interp.note_stop(f"a while loop still runs after {MAX_ITERATIONS:,} iterations (the most"
                     f" followed), so what it computes is unknown")
    havoc(interp, node.body, scope, f"built in a loop that was not followed to its end (line {node.lineno})", node)


def _with(interp: Interpreter, node: ast.With, scope: Scope) -> None:
    files = enter_with(interp, node, scope)
    try:
        interp.exec_block(node.body, scope)
    finally:
        for file in files:
            file.closed = True


def enter_with(interp: Interpreter, node: ast.With, scope: Scope) -> List[FileValue]:
    """Bind the targets of a ``with`` statement: a module or a file opened for reading is what
    its ``__enter__`` gives (itself), anything else unknown. The files, to close after it."""
    files: List[FileValue] = []
    for item in node.items:
        value = interp.eval(item.context_expr, scope)
        if isinstance(value, FileValue):
            files.append(value)
        elif not isinstance(value, ModuleValue):
            value = UNKNOWN
        if item.optional_vars is not None:
            interp.assign(item.optional_vars, value, scope)
    return files


def _try(interp: Interpreter, node: ast.Try, scope: Scope) -> None:
    # Handlers never run: an exception is a path not followed.
    try:
        interp.exec_block(node.body, scope)
    except Abort:
        if interp.steps > MAX_STEPS:
            raise
        return
    if node.orelse:
        interp.exec_block(node.orelse, scope)
    if node.finalbody:
        interp.exec_block(node.finalbody, scope)


def _function_def(interp: Interpreter, node: ast.FunctionDef, scope: Scope) -> None:
    if scope.class_scope:
        return
    if scope.locals is scope.globals:
        function: Any = FunctionRef(node, scope.owner, scope.globals)
    else:  # a nested function: it reads the names of the one running
        function = ClosureRef(node, scope.owner, scope.globals, closure=scope.locals)
    for decorator in reversed(node.decorator_list):  # the innermost first, as Python applies them
        function = _decorated(interp, decorator, function, scope)
    scope.locals[node.name] = function


#: Decorators (torch's and the standard library's) whose result computes what the function
#: computes: called or not (``@lru_cache``, ``@lru_cache(maxsize=8)``, ``@torch.no_grad()``).
IDENTITY_DECORATORS = frozenset({
    "functools.lru_cache", "functools.cache", "functools.wraps", "typing.overload", "abc.abstractmethod",
    "torch.no_grad", "torch.enable_grad", "torch.inference_mode", "torch.compile", "torch.fx.wrap",
    "torch.jit.script", "torch.jit.unused", "torch.jit.ignore", "torch.jit.export",
    "torch.autograd.no_grad", "torch.cuda.amp.autocast", "torch.amp.autocast", "torch.autocast",
})


#: Decorators of torch libraries that return the function, or a wrapper that calls it with the
#: arguments it is given when they are the function's own (torchvision's legacy ``pretrained``
#: handling, timm's registries). Their code reads ``inspect.signature`` and ``sys.modules``,
#: which the analysis does not follow. A call that uses a legacy argument reaches the function
#: with an argument it does not take: its result is then unknown, as it should be.
LIBRARY_IDENTITY_DECORATORS = frozenset({
    "torchvision.models._api.register_model", "torchvision.models._utils.handle_legacy_interface",
    "torchvision.models._utils.kwonly_to_pos_or_kw", "timm.models._registry.register_model",
    "timm.layers._fx.register_notrace_function",
})


def _decorated(interp: Interpreter, decorator: ast.expr, function: Any, scope: Scope) -> Any:
    """What ``@decorator`` makes of ``function``: itself for a decorator known to keep what it
    computes, else the decorator's code run on it (a registry that returns it, a wrapper that
    doubles its result); unknown when that cannot be followed, never the undecorated function."""
    if function is UNKNOWN:
        return UNKNOWN
    target = decorator.func if type(decorator) is ast.Call else decorator
    named = interp.eval(target, scope)
    if isinstance(named, (TorchRef, ExternalRef)) and named.name in IDENTITY_DECORATORS:
        return function
    if isinstance(named, FunctionRef) and _qualified_name(named) in LIBRARY_IDENTITY_DECORATORS:
        return function
    applied = named if decorator is target else interp.eval(decorator, scope)
    return interp.call(applied, [function], {}, None)


def _qualified_name(function: FunctionRef) -> str:
    """``package.module.name`` of a module-level function of another file ("" in the analysed one)."""
    source = (function.globals or {}).get(SOURCE_KEY)
    module = getattr(source, "name", None)
    return f"{module}.{function.node.name}" if module else ""


def _class_def(interp: Interpreter, node: ast.ClassDef, scope: Scope) -> None:
    scope.locals[node.name] = UNKNOWN  # a class defined in a function: not followed


def _match(interp: Interpreter, node: ast.stmt, scope: Scope) -> None:
    havoc(interp, node, scope, f"built under a `match` statement, which is not followed (line {node.lineno})", node)


def _not_run(interp: Interpreter, node: ast.stmt, scope: Scope) -> None:
    """``try/except*``: not run at all."""


#: The handler of each compound statement; no pragma check follows them.
COMPOUND_STATEMENTS: Dict[type, Handler] = {
    ast.If: _if,
    ast.For: _for, ast.AsyncFor: _for,
    ast.While: _while,
    ast.With: _with, ast.AsyncWith: _with,
    ast.Try: _try,
    ast.FunctionDef: _function_def, ast.AsyncFunctionDef: _function_def,
    ast.ClassDef: _class_def,
    # `match` (Python 3.10+) and `try/except*` (3.11+) where this Python has them.
    **{getattr(ast, name): handler for name, handler in (("Match", _match), ("TryStar", _not_run))
       if hasattr(ast, name)},
}
