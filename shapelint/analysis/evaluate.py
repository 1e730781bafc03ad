"""Constant evaluation: a small abstract interpreter over stdlib ``ast`` trees, never running user code.

It evaluates what can be known statically (literals, constants, arithmetic, builtins, loops over
known ranges, user functions and classes of the same file) and gives ``UNKNOWN`` for everything
else. ``__init__`` bodies are executed to build the module tree; ``forward`` bodies are executed
by the same interpreter with tensors standing for their shapes (see ``propagate.py``).

Code under a condition that cannot be decided is executed *silently* (no diagnostics) and its
effects are merged conservatively: what differs between the paths becomes unknown.

This module holds the ``Interpreter`` itself: its state, the hooks the torch layer fills in, and
the dispatch of each ast node to its handler. The parts are in ``interpreter/``:

- ``expressions.py``: a handler per expression type (``EXPRESSIONS``);
- ``statements.py``: a handler per statement type, control flow, assignment;
- ``calls.py``: arguments, calls of functions, classes, builtins and methods;
- ``operations.py``: indexing, operators and attributes;
- ``stdlib.py``, ``plain_values.py``: what Python computes on plain values;
- ``unknown_effects.py``: forgetting what code that is not followed may change;
- ``scope.py``: scopes, and the signals ``return``, ``break``, ... travel as;
- ``limits.py``: the budgets (``MAX_STEPS``, ``MAX_ITERATIONS``, ...).
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..core.layers import UNKNOWN
from .collect import ClassInfo, FileIndex
from .interpreter.calls import STAR_UNKNOWN, Calls
from .interpreter.expressions import EXPRESSIONS
from .interpreter.limits import MAX_ITERATIONS, MAX_STEPS
from .interpreter.operations import Operations
from .interpreter.plain_values import iter_known
from .interpreter.scope import Abort, BreakSignal, ContinueSignal, ReturnSignal, Scope
from .interpreter.statements import COMPOUND_STATEMENTS, SIMPLE_STATEMENTS, Assignment
from .project import SOURCE_KEY
from .values import Elsewhere, ModuleValue, Tensor, TorchRef

# The names propagate.py, analyze.py and the tests import from here.
__all__ = ["Interpreter", "Scope", "MAX_ITERATIONS", "MAX_STEPS", "iter_known",
           "_Abort", "_Break", "_Continue", "_Return", "_STAR_UNKNOWN"]
_Return, _Break, _Continue, _Abort = ReturnSignal, BreakSignal, ContinueSignal, Abort
_STAR_UNKNOWN = STAR_UNKNOWN


class Interpreter(Operations, Calls, Assignment):
    """Evaluates expressions and executes statements of one file.

    Everything about torch (constructing layers, calling modules, tensor operations) is delegated
    to the hooks below, which the shape-propagation layer (``propagate.Propagator``) overrides.
    """

    def __init__(self, index: FileIndex) -> None:
        self.index = index
        self.globals: Dict[str, Any] = dict(index.scope)
        #: Above 0 while running code that may not run as written: nothing found is reported.
        self.silent = 0
        #: Depth of user function calls running.
        self.depth = 0
        #: Statements run and comprehension items made so far (against ``MAX_STEPS``).
        self.steps = 0
        #: The first budget of this model that ran out: (why, the statement running then).
        self.stopped: Optional[Tuple[str, Optional[ast.stmt]]] = None
        #: The statement running (for positions of findings and of budgets run out).
        self.statement: Optional[ast.stmt] = None
        #: Object attributes written while silent, merged after an undecidable branch.
        self.silent_writes: Optional[List[Tuple[Any, str]]] = None
        #: Called after each statement (pragma checks): (statement, scope, value) -> None.
        self.after_statement: Optional[Callable[[ast.stmt, Scope, Any], None]] = None
        #: The functions being executed (by node id), innermost last.
        self.active: List[int] = []
        #: The calls of the file's plain functions running (a factory such as
        #: ``conv_bn_relu(3, 8, 2)``), innermost last: where a layer's arguments came in.
        self.function_calls: List[ast.Call] = []
        #: The torch call being made and the scope of its arguments (``eval_call``).
        self.torch_call_scope: Optional[Tuple[ast.Call, Any]] = None
        #: Per function call, the values returned on undecidable paths.
        self.return_stack: List[List[Any]] = []
        #: The globals of the code running, innermost last: the analysed file's (``globals``)
        #: or another project file's (``project.py``).
        self.code: List[Dict[str, Any]] = [self.globals]
        #: How many of them are another file's: while above 0, what is built and found belongs
        #: to that file, and is placed at ``home_statement``.
        self.away = 0
        #: The analysed file's statement that was running when code of another file began,
        #: and its call that led there.
        self.home_statement: Optional[ast.stmt] = None
        self.home_call: Optional[ast.Call] = None
        #: The call being dispatched (``Calls.call``).
        self.calling: Optional[ast.Call] = None
        #: While an installed package's code runs, called from another project file's: that
        #: file's module, its call into the package and the statement holding it (a finding in
        #: the package is that file's: its call passes what the package was given).
        self.boundary: Optional[Tuple[Any, Optional[ast.Call], Optional[ast.stmt]]] = None
        #: The analysed file's path (config files are looked for from its directory).
        self.path: Optional[str] = None
        #: Every config file read (``open(...)`` of a literal path), in order: what the result
        #: depends on besides the file itself.
        self.files_read: List[str] = []

    # ----------------------------------------------------------------- whose code runs

    def globals_of(self, fn: Any) -> Dict[str, Any]:
        """The globals a function's code reads: its own file's."""
        if fn.globals is not None:
            return fn.globals
        owner = fn.owner
        if owner is not None and owner.globals is not None:
            return owner.globals
        return self.globals

    def running_code_of(self, globals_: Dict[str, Any]) -> "_CodeFrame":
        """``with``: code whose names are ``globals_`` runs meanwhile."""
        return _CodeFrame(self, globals_)

    def elsewhere(self, node: Optional[ast.AST]) -> Optional[Elsewhere]:
        """Where ``node`` is, when code of another file is running (else None)."""
        if not self.away:
            return None
        source = self.code[-1].get(SOURCE_KEY)
        line = getattr(node, "lineno", None) or getattr(self.statement, "lineno", 0) or 0
        if source is None:  # the analysed file's code, called back from another file's
            return Elsewhere("", line, self.home_statement, self.home_call)
        via = self.boundary if getattr(source, "installed", False) else None
        return Elsewhere(source.display, line, self.home_statement, self.home_call, source.path, via)

    # ----------------------------------------------------------------- hooks (propagate.py)

    def torch_call(self, ref: TorchRef, args: List[Any], kwargs: Dict[str, Any], node: ast.Call) -> Any:
        """A call of a torch name: a layer constructor, a functional, a tensor factory."""
        return UNKNOWN

    def call_module(self, module: ModuleValue, args: List[Any], kwargs: Dict[str, Any],
                    node: Optional[ast.Call]) -> Any:
        """``module(...)``: its forward."""
        return UNKNOWN

    def tensor_method(self, tensor: Tensor, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        """``tensor.name(...)``; also ``__getitem__`` (indexing) and ``__attr__`` (an attribute)."""
        return UNKNOWN

    def module_method(self, module: ModuleValue, name: str, args: List[Any], kwargs: Dict[str, Any],
                      node) -> Any:
        """``module.name(...)``; also ``__slice__`` and ``__setitem__`` of containers."""
        return UNKNOWN

    def module_attribute(self, module: ModuleValue, name: str) -> Any:
        return UNKNOWN

    def set_module_attribute(self, module: ModuleValue, name: str, value: Any) -> None:
        pass

    def instantiate(self, info: ClassInfo, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        """A constructor call of a module class of the file."""
        return UNKNOWN

    def tensor_binary(self, op: type, left: Any, right: Any) -> Any:
        """``left op right`` where one side is a tensor, or ``@``."""
        return UNKNOWN

    # ----------------------------------------------------------------- dispatch

    def eval(self, node: ast.expr, scope: Scope) -> Any:
        """The value of an expression (``UNKNOWN`` for a kind the interpreter does not evaluate)."""
        handler = EXPRESSIONS.get(type(node))
        if handler is None:
            return UNKNOWN
        return handler(self, node, scope)

    def exec_block(self, body: List[ast.stmt], scope: Scope) -> None:
        for statement in body:
            self.exec_statement(statement, scope)

    def exec_statement(self, statement: ast.stmt, scope: Scope) -> None:
        """Run one statement; after a simple one, ``after_statement`` checks its pragma."""
        self.statement = statement
        if not self.away:
            self.home_statement = statement
        self.count_step()
        kind = type(statement)
        compound = COMPOUND_STATEMENTS.get(kind)
        if compound is not None:
            compound(self, statement, scope)
            return
        simple = SIMPLE_STATEMENTS.get(kind)
        try:
            value = None if simple is None else simple(self, statement, scope)
        except ReturnSignal as done:
            # `return x  # shapelint: output=...` declares the returned tensor.
            if self.after_statement is not None and not self.away:
                self.after_statement(statement, scope, done.value)
            raise
        if self.after_statement is not None and not self.away:
            self.after_statement(statement, scope, value)

    # ----------------------------------------------------------------- budgets

    def note_stop(self, reason: str) -> None:
        """A budget ran out: the first one of a model is what SHP301 reports."""
        if self.stopped is None:
            self.stopped = (reason, self.statement)

    def count_step(self) -> None:
        """One more statement run or comprehension item made; past ``MAX_STEPS`` the model's
        code is not followed any further."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            self.note_stop(f"more than {MAX_STEPS:,} statements and comprehension items were run"
                           f" (the budget of each model, and of the module's own code), so the rest"
                           f" is not followed")
            raise Abort()


class _CodeFrame:
    """The code of one file running (``Interpreter.running_code_of``); a plain class, not a
    generator context manager: it wraps every function call."""

    __slots__ = ("interp", "globals", "foreign", "saved")

    def __init__(self, interp: Interpreter, globals_: Dict[str, Any]) -> None:
        self.interp = interp
        self.globals = globals_
        self.foreign = globals_ is not interp.globals
        self.saved: Any = None

    def __enter__(self) -> None:
        interp = self.interp
        caller = interp.code[-1]
        interp.code.append(self.globals)
        if self.foreign:
            if not interp.away:
                interp.home_call = interp.calling
            interp.away += 1
            self.saved = interp.boundary
            callee, source = self.globals.get(SOURCE_KEY), caller.get(SOURCE_KEY)
            if getattr(callee, "installed", False) and source is not None and not source.installed:
                interp.boundary = (source, interp.calling, interp.statement)

    def __exit__(self, *_exception: Any) -> None:
        self.interp.code.pop()
        if self.foreign:
            self.interp.away -= 1
            self.interp.boundary = self.saved
