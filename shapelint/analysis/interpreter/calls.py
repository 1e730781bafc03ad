"""Calls: evaluating the arguments of an ``ast.Call``, and calling what the callee evaluated to
(a torch name or module, a function or class of the file, a builtin, a method of a value).

Calls of torch names and modules, constructors of the file's classes and methods of tensors and
modules go to the torch hooks; functions of the file run in the interpreter, their arguments bound
to their parameters as Python binds them.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from ...core.layers import UNKNOWN
from ..collect import ClassInfo
from ..values import (
    ArgumentCapture,
    BoundMethod,
    BuiltinRef,
    ClassRef,
    ExternalRef,
    FunctionRef,
    LambdaRef,
    MethodRef,
    ModuleValue,
    PartialRef,
    SuperRef,
    Tensor,
    TorchRef,
    merge_values,
)
from .configs import NOT_HANDLED, builtin_open, call_library, config_method
from .limits import MAX_CALL_DEPTH, MAX_ITERATIONS, MAX_RECURSION
from .objects import (
    AttrDictValue,
    ClosureRef,
    ConfigObject,
    base_method,
    builtin_vars,
    forget_passed,
    instantiate_plain,
)
from .plain_values import iter_known, range_length
from .scope import Abort, BreakSignal, ContinueSignal, ReturnSignal, Scope
from .stdlib import (
    BUILTINS,
    builtin_range,
    call_external,
    dict_method,
    isinstance_of,
    list_method,
    str_method,
    tuple_method,
)

if TYPE_CHECKING:
    from ..evaluate import Interpreter

#: An argument list holding this had a ``*iterable`` of unknown length: the arguments cannot be
#: bound to parameters (the torch hooks still construct a layer from what is known).
STAR_UNKNOWN = object()


def eval_call(interp: Interpreter, node: ast.Call, scope: Scope) -> Any:
    """The handler of ``ast.Call``: the callee, then the arguments, as Python evaluates them."""
    fn = interp.eval(node.func, scope)
    args: List[Any] = []
    kwargs: Dict[str, Any] = {}
    positional = node.args
    keywords = node.keywords
    arguments: List[ast.AST] = positional
    if keywords:
        arguments = positional + keywords
        if positional and type(positional[-1]) is ast.Starred and _after(positional[-1], keywords[0]):
            # `f(a=1, *rest)`: evaluate in source order, as Python does.
            arguments = sorted(arguments, key=_position)
    Starred, keyword = ast.Starred, ast.keyword
    for arg in arguments:
        kind = type(arg)
        if kind is Starred:
            items = iter_known(interp.eval(arg.value, scope))
            if items is None:
                args.append(STAR_UNKNOWN)
                continue
            args.extend(items)
        elif kind is keyword:
            if arg.arg is None:  # **mapping
                mapping = interp.eval(arg.value, scope)
                if not isinstance(mapping, dict) or not all(isinstance(k, str) for k in mapping):
                    kwargs["**"] = UNKNOWN
                    continue
                kwargs.update(mapping)
            else:
                kwargs[arg.arg] = interp.eval(arg.value, scope)
        else:
            args.append(interp.eval(arg, scope))
    if isinstance(fn, BuiltinRef) and fn.name == "super":
        return _super(args, scope)
    if STAR_UNKNOWN in args or "**" in kwargs:
        # Unknown unpacking: the arguments cannot be bound. Still construct what is passed.
        return interp.call_unbindable(fn, args, node)
    if fn is UNKNOWN and any(type(a) is Tensor for a in args):
        interp.note_unknown_call(node.func, node)  # shape tracking stops at this call
    if isinstance(fn, TorchRef):
        interp.torch_call_scope = (node, scope)  # a layer built here records its arguments' names
    return interp.call(fn, args, kwargs, node)


#: Methods that fill a container module: called with arguments that cannot be bound, the
#: container's contents are unknown.
_FILLING_METHODS = frozenset({"__base_init__", "append", "extend", "insert", "add_module", "update",
                              "register_module"})


def _partial(args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """``functools.partial(func, ...)``; of an unknown ``func``, unknown."""
    if not args or args[0] is UNKNOWN:
        return UNKNOWN
    return PartialRef(args[0], tuple(args[1:]), dict(kwargs))


def _position(node: ast.AST) -> Tuple[int, int]:
    return node.lineno, node.col_offset


def _after(a: ast.AST, b: ast.AST) -> bool:
    return (a.lineno, a.col_offset) > (b.lineno, b.col_offset)


def _super(args: List[Any], scope: Scope) -> Any:
    """``super()`` in a method (its class and ``self``), or ``super(Class, obj)``."""
    receiver = scope.locals.get("self", UNKNOWN)
    owner = scope.owner
    if len(args) == 2 and isinstance(args[0], ClassRef):
        owner = args[0].info
        receiver = args[1]
    if receiver is UNKNOWN:
        return UNKNOWN
    return SuperRef(receiver, owner)


class Calls:
    """The calls of the Interpreter (a mixin of it, in ``evaluate.py``, whose state and torch
    hooks these use): ``call`` dispatches on what is called."""

    def call(self, fn: Any, args: List[Any], kwargs: Dict[str, Any], node: Optional[ast.Call]) -> Any:
        if fn is UNKNOWN:
            forget_passed(args, kwargs)  # code not followed may change what it is given
            return UNKNOWN
        self.calling = node
        if isinstance(fn, ArgumentCapture):
            return (list(args), dict(kwargs))
        if isinstance(fn, TorchRef):
            return self.torch_call(fn, args, kwargs, node)
        if isinstance(fn, ModuleValue):
            return self.call_module(fn, args, kwargs, node)
        if isinstance(fn, BoundMethod):
            return self._call_recorded(fn.function, [fn.receiver] + list(args), kwargs, node)
        if isinstance(fn, FunctionRef):
            return self._call_recorded(fn, list(args), kwargs, node)
        if isinstance(fn, ClassRef):
            if fn.info.kind is None:
                return instantiate_plain(self, fn.info, args, kwargs)
            return self.instantiate(fn.info, args, kwargs, node)
        if isinstance(fn, MethodRef):
            return self.call_method(fn, args, kwargs, node)
        if isinstance(fn, BuiltinRef):
            return self.call_builtin(fn.name, args, kwargs, node)
        if isinstance(fn, PartialRef):
            return self.call(fn.func, list(fn.args) + list(args), {**fn.kwargs, **kwargs}, node)
        if isinstance(fn, ExternalRef):
            if fn.name == "functools.partial":
                return _partial(args, kwargs)
            configured = call_library(self, fn.name, args, kwargs)
            if configured is not NOT_HANDLED:
                return configured
            return call_external(fn.name, args, kwargs)
        if isinstance(fn, LambdaRef):
            return self.call_lambda(fn, args, kwargs)
        return UNKNOWN

    def note_unknown_call(self, func: ast.expr, node: ast.Call) -> None:
        """A call of a value that could not be evaluated, on a tensor (the Propagator notes it
        as a place where shape tracking stops)."""

    def call_unbindable(self, fn: Any, args: List[Any], node: ast.Call) -> Any:
        """A call whose arguments cannot be bound: only a torch name or a module class of the file
        is still constructed, from what is known (a container keeps its items before the first
        unknown ``*iterable``)."""
        if isinstance(fn, TorchRef):
            if fn.name.endswith(".Sequential"):
                # Its items before the unknown unpacking have certain names.
                known = args if STAR_UNKNOWN in args else list(args) + [STAR_UNKNOWN]
                return self.torch_call(fn, known, {}, node)
            return self.torch_call(fn, [STAR_UNKNOWN], {}, node)
        if isinstance(fn, ClassRef) and fn.info.kind is not None:
            return self.instantiate(fn.info, [STAR_UNKNOWN], {}, node)
        if isinstance(fn, MethodRef) and isinstance(fn.receiver, ModuleValue) and fn.name in _FILLING_METHODS:
            # ``super().__init__(*layers)`` of a Sequential subclass, ``self.extend(*blocks)``:
            # what it holds is not known (its items before the unknown ones keep their names).
            if fn.name == "__base_init__":
                return self.module_method(fn.receiver, fn.name, list(args), {}, node)
            fn.receiver.incomplete = True
        forget_passed(args, {})  # its arguments may be given to code that does anything
        if isinstance(fn, MethodRef) and isinstance(fn.receiver, ConfigObject):
            fn.receiver.forget()  # parser.add_argument(*unknown): what it adds is unknown
        return UNKNOWN

    def call_builtin(self, name: str, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        with_interpreter = _WITH_INTERPRETER.get(name)
        if with_interpreter is not None:
            return with_interpreter(self, args, kwargs, node)
        fn = BUILTINS.get(name)
        if fn is None:
            return UNKNOWN
        try:
            return fn(list(args), dict(kwargs))
        except (TypeError, ValueError):
            return UNKNOWN

    def call_method(self, ref: MethodRef, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        receiver, name = ref.receiver, ref.name
        if isinstance(receiver, Tensor):
            return self.tensor_method(receiver, name, args, kwargs)
        if isinstance(receiver, ModuleValue):
            return self.module_method(receiver, name, args, kwargs, node)
        if isinstance(receiver, ConfigObject):
            if name == "__base_init__":
                return base_method(self, receiver, name, args, kwargs)
            configured = config_method(self, receiver, name, args, kwargs)
            if configured is not NOT_HANDLED:
                return configured
            if not isinstance(receiver, AttrDictValue):
                return UNKNOWN
        if isinstance(receiver, list):
            return list_method(receiver, name, args, kwargs)
        if isinstance(receiver, dict):
            return dict_method(receiver, name, args, kwargs)
        if isinstance(receiver, str):
            return str_method(receiver, name, args, kwargs)
        if isinstance(receiver, tuple):
            return tuple_method(receiver, name, args, kwargs)
        return UNKNOWN

    def call_lambda(self, fn: LambdaRef, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        local = dict(fn.scope)
        names = [p.arg for p in fn.node.args.args]
        if len(args) > len(names):
            return UNKNOWN
        for name, value in zip(names, args):
            local[name] = value
        local.update({k: v for k, v in kwargs.items() if k in names})
        globals_ = fn.globals if fn.globals is not None else self.globals
        with self.running_code_of(globals_):
            return self.eval(fn.node.body, Scope(globals_, local))

    def _call_recorded(self, fn: FunctionRef, args: List[Any], kwargs: Dict[str, Any],
                       node: Optional[ast.Call]) -> Any:
        """``call_function``, with ``node`` on ``function_calls`` while it runs (the layers it
        builds remember where their arguments came in)."""
        if node is None:
            return self.call_function(fn, args, kwargs)
        self.function_calls.append(node)
        try:
            return self.call_function(fn, args, kwargs)
        finally:
            self.function_calls.pop()

    def call_function(self, fn: FunctionRef, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        """Run a function of the file; what it returns (merged over undecidable paths)."""
        if self.depth >= MAX_CALL_DEPTH:
            return UNKNOWN
        node = fn.node
        # A recursive helper behind undecidable conditions runs both ways at every level:
        # past a few levels of recursion its result is simply unknown.
        if self.active.count(id(node)) >= MAX_RECURSION:
            return UNKNOWN
        if type(node) is ast.AsyncFunctionDef:
            return UNKNOWN
        # A nested function reads its definer's names as they are now (Python's cells).
        local: Dict[str, Any] = dict(fn.closure) if type(fn) is ClosureRef else {}
        globals_ = self.globals_of(fn)
        with self.running_code_of(globals_):
            if not self.bind_parameters(node.args, args, kwargs, local, fn.owner, globals_):
                return UNKNOWN
            return self._run_function(fn, Scope(globals_, local, fn.owner))

    def _run_function(self, fn: FunctionRef, scope: Scope) -> Any:
        node = fn.node
        self.depth += 1
        self.active.append(id(node))
        saved_statement = self.statement
        self.return_stack.append([])
        value: Any = None
        try:
            self.exec_block(node.body, scope)
        except ReturnSignal as done:
            value = done.value
        except (BreakSignal, ContinueSignal, Abort, RecursionError):
            value = UNKNOWN
        finally:
            self.depth -= 1
            self.active.pop()
            self.statement = saved_statement
            pending = self.return_stack.pop()
        # A return on a path whose condition was undecidable: the result is what all agree on.
        for other in pending:
            value = merge_values(value, other)
        return value

    def bind_parameters(self, params: ast.arguments, args: List[Any], kwargs: Dict[str, Any],
                        local: Dict[str, Any], owner: Optional[ClassInfo],
                        globals_: Optional[Dict[str, Any]] = None) -> bool:
        """Bind call arguments to a def's parameters as Python would; False when they do not fit."""
        default_scope = Scope(self.globals if globals_ is None else globals_, {}, owner)
        positional = params.posonlyargs + params.args
        defaults = params.defaults
        first_default = len(positional) - len(defaults)
        remaining = list(args)
        kwargs = dict(kwargs)
        for i, param in enumerate(positional):
            name = param.arg
            if remaining:
                local[name] = remaining.pop(0)
                if name in kwargs:
                    return False
            elif name in kwargs:
                local[name] = kwargs.pop(name)
            elif i >= first_default:
                local[name] = self.eval(defaults[i - first_default], default_scope)
            else:
                local[name] = UNKNOWN  # a required argument nobody passed: unknown, not an error
        if params.vararg is not None:
            local[params.vararg.arg] = tuple(remaining)
        elif remaining:
            return False
        for param, default in zip(params.kwonlyargs, params.kw_defaults):
            name = param.arg
            if name in kwargs:
                local[name] = kwargs.pop(name)
            elif default is not None:
                local[name] = self.eval(default, default_scope)
            else:
                local[name] = UNKNOWN
        if params.kwarg is not None:
            local[params.kwarg.arg] = kwargs
        elif kwargs:
            return False
        return True


# ----------------------------------------------------------- builtins that need the interpreter
# Each is ``builtin(interp, args, kwargs, node) -> value``.


def _isinstance(interp: Interpreter, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
    if len(args) != 2:
        return UNKNOWN
    value, kinds = args
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    results = [isinstance_of(value, k) for k in kinds]
    if True in results:
        return True
    if UNKNOWN in results:
        return UNKNOWN
    return False


def _hasattr(interp: Interpreter, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
    if len(args) == 2 and isinstance(args[1], str):
        value = interp.get_attribute(args[0], args[1])
        return UNKNOWN if value is UNKNOWN else True
    return UNKNOWN


def _getattr(interp: Interpreter, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
    # With a default, an attribute not known may or may not exist: unknown either way.
    if len(args) >= 2 and isinstance(args[1], str):
        return interp.get_attribute(args[0], args[1])
    return UNKNOWN


def _setattr(interp: Interpreter, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
    if len(args) == 3 and isinstance(args[1], str):
        interp.set_attribute(args[0], args[1], args[2])
    elif args and isinstance(args[0], ModuleValue):
        args[0].incomplete = True  # an attribute of unknown name: its children are not all known
    return None


def _map(interp: Interpreter, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
    if len(args) >= 2:
        lists = [iter_known(a) for a in args[1:]]
        if any(items is None for items in lists):
            return UNKNOWN
        return [interp.call(args[0], list(items), {}, node) for items in zip(*lists)]
    return UNKNOWN


def _range(interp: Interpreter, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
    """``range(...)``; one too long to unroll is unknown, and noted as a budget run out."""
    value = builtin_range(args, kwargs)
    if value is UNKNOWN and not kwargs and args and all(type(a) is int for a in args):
        try:
            length = range_length(range(*args))
        except (TypeError, ValueError):  # a zero step, more than three arguments
            return value
        if length > MAX_ITERATIONS:
            interp.note_stop(f"range() of {length:,} items is longer than the"
                             f" {MAX_ITERATIONS:,} iterations a loop or comprehension is unrolled"
                             f" for, so what is built or computed from it is unknown")
    return value


_WITH_INTERPRETER: Dict[str, Callable[..., Any]] = {
    "isinstance": _isinstance,
    "hasattr": _hasattr,
    "getattr": _getattr,
    "setattr": _setattr,
    "map": _map,
    "range": _range,
    "open": builtin_open,
    "vars": lambda interp, args, kwargs, node: builtin_vars(args) if not kwargs else UNKNOWN,
}
