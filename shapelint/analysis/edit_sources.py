"""Where a layer argument's value comes from, and the edit that changes it there (CONTRACT 6).

A fix edits the value at its source and keeps an expression an expression:

- a literal argument is replaced by the new literal;
- an expression (``ngf * 9``, ``k // 2 + 1``, ``hidden_dims[-1] * 2``) gets one of its integer
  literals changed so that it evaluates exactly to the new value (``ngf * 8``, ``k // 2``,
  ``hidden_dims[-1] * 4``), every other part as written;
- a name that is a parameter of a user class's ``__init__`` is followed to the caller's argument
  for that instance (``UNetUp(128, 64)`` -> ``UNetUp(128, 128)``), never a literal written into the
  class; a name bound to a literal default or a module-level constant (read in a function too)
  has that literal changed, also when other code reads it: the re-analysis of the edited file
  decides.

When none of these gives the value exactly, there is no edit (never an expression replaced by a
literal). The values of the other parts of an expression are not known here: they are solved
from the value the whole expression has (the layer's parameter as built), and an edit is taken
only when it gives the new value for every value of them consistent with that.
"""

from __future__ import annotations

import ast
import operator
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from ..core.results import Edit
from .positions import Positions, Range
from .values import ModuleValue, UserModule

#: How deep a value is followed through callers and names.
MAX_DEPTH = 4
#: The largest unknown part of an expression solved for (sizes and channel counts are below it).
MAX_UNKNOWN = 1 << 16

def _power(base: int, exponent: int) -> int:
    """``base ** exponent`` for the small integer exponents of sizes (``2 ** i``)."""
    if not 0 <= exponent <= 64:
        raise ArithmeticError("exponent out of range")
    return base ** exponent


_BINARY: Dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: _power,
}
_FUNCTIONS = {"min": min, "max": max, "abs": abs, "int": int}


class SourceEdit(NamedTuple):
    """Edits that give an argument its new value, where they go, and how far they reach."""

    edits: Tuple[Edit, ...]
    #: The node whose text, edited, is shown on the ``help:`` line: the call whose argument
    #: changes (the layer's own call, or a caller's), or the default or constant that changes.
    call: ast.AST
    #: The range of the text that changes (the first edit's).
    target: Range
    #: All edits are in the layer's own call, each replacing a literal (an exact, local edit).
    local: bool
    #: Shown before the edited text of ``call`` (``ngf=`` for a parameter's default).
    prefix: str = ""


def int_literal(node: ast.AST) -> Optional[int]:
    """The value of an integer literal (``3``, ``-1``), else None."""
    if type(node) is ast.Constant and type(node.value) is int:
        return node.value
    if (type(node) is ast.UnaryOp and isinstance(node.op, (ast.USub, ast.UAdd))
            and type(node.operand) is ast.Constant and type(node.operand.value) is int):
        return -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
    return None


# --------------------------------------------------------------------------- expressions


class _Expression:
    """An integer expression with its editable literals and its unknown parts (other names,
    attributes, subscripts, calls), each unknown part one variable per distinct text. Names in
    ``constants`` (the module's integer constants it reads) have their known values."""

    def __init__(self, node: ast.expr, constants: Optional[Dict[str, int]] = None) -> None:
        self.node = node
        self.constants = constants or {}
        self.literals: List[ast.expr] = []
        #: Literals added or subtracted last (``+ 1`` of ``k // 2 + 1``), by id: their left operand.
        self.terms: Dict[int, ast.expr] = {}
        self.unknowns: Dict[str, List[ast.expr]] = {}
        self._collect(node)

    def _collect(self, node: ast.expr) -> None:
        if int_literal(node) is not None:
            self.literals.append(node)
        elif type(node) is ast.Name and node.id in self.constants:
            pass
        elif type(node) is ast.BinOp and type(node.op) in _BINARY:
            if isinstance(node.op, (ast.Add, ast.Sub)) and int_literal(node.right) is not None:
                self.terms[id(node.right)] = node.left
            self._collect(node.left)
            self._collect(node.right)
        elif type(node) is ast.UnaryOp and isinstance(node.op, ast.USub):
            self._collect(node.operand)
        elif _builtin_call(node):
            for arg in node.args:
                self._collect(arg)
        else:
            self.unknowns.setdefault(ast.dump(node), []).append(node)

    def value(self, unknown: Dict[str, int], literals: Dict[int, int]) -> int:
        """The value with the unknown parts and literals (by id) given; ArithmeticError when it
        has none."""

        def walk(node: ast.expr) -> int:
            if id(node) in literals:
                return literals[id(node)]
            written = int_literal(node)
            if written is not None:
                return written
            kind = type(node)
            if kind is ast.Name and node.id in self.constants:
                return self.constants[node.id]
            if kind is ast.BinOp and type(node.op) in _BINARY:
                return _BINARY[type(node.op)](walk(node.left), walk(node.right))
            if kind is ast.UnaryOp and isinstance(node.op, ast.USub):
                return -walk(node.operand)
            if _builtin_call(node):
                return _FUNCTIONS[node.func.id](*(walk(a) for a in node.args))
            return unknown[ast.dump(node)]

        return walk(self.node)


def evaluate(node: ast.expr, names: Dict[str, int], literals: Optional[Dict[int, int]] = None) -> Optional[int]:
    """The value of an integer expression of literals and the ``names`` given, with the
    ``literals`` (by id of their node) written otherwise; None when it reads anything else or
    has no value."""
    expression = _Expression(node, names)
    if expression.unknowns:
        return None
    try:
        return expression.value({}, literals or {})
    except (ArithmeticError, ValueError, TypeError):
        return None


def _builtin_call(node: ast.AST) -> bool:
    return (type(node) is ast.Call and type(node.func) is ast.Name and node.func.id in _FUNCTIONS
            and bool(node.args) and not node.keywords)


def _consistent_unknowns(expression: _Expression, old: int) -> Optional[List[Dict[str, int]]]:
    """Every value of the (at most one) unknown part for which the expression gives ``old``;
    None when there are more unknown parts or too many values."""
    names = list(expression.unknowns)
    if not names:
        return [{}]
    if len(names) > 1:
        return None
    name = names[0]
    top = min(max(4 * abs(old), 1024) + 64, MAX_UNKNOWN)
    found = []
    for value in range(0, top + 1):
        try:
            if expression.value({name: value}, {}) == old:
                found.append({name: value})
        except (ArithmeticError, ValueError):
            continue
        if len(found) > 8:
            return None
    return found or None


def literal_edits(node: ast.expr, old: int, new: int,
                  constants: Optional[Dict[str, int]] = None) -> List[Tuple[ast.expr, int, Optional[ast.expr]]]:
    """(literal, its new value, the left operand when the literal is a term that goes to 0)
    inside ``node`` that make it evaluate exactly to ``new`` for every value of its unknown part
    consistent with its present value ``old``; the smallest change relative to the written
    literal first, a term dropped (``k // 2 + 1`` -> ``k // 2``) before a factor changed."""
    expression = _Expression(node, constants)
    if not expression.literals:
        return []
    assignments = _consistent_unknowns(expression, old)
    if not assignments:
        return []
    found = []
    for literal in expression.literals:
        written = int_literal(literal)
        may_be_negative = type(literal) is ast.UnaryOp
        top = max(2 * abs(new), 2 * abs(written), 16) + 16
        for candidate in _near(written, top, may_be_negative):
            try:
                if all(expression.value(a, {id(literal): candidate}) == new for a in assignments):
                    dropped = expression.terms.get(id(literal)) if candidate == 0 else None
                    # Equal relative changes (any factor of a product): the smaller step.
                    key = (abs(candidate - written) / max(abs(written), 1), abs(candidate - written), dropped is None)
                    found.append((key, literal, candidate, dropped))
                    break
            except (ArithmeticError, ValueError):
                continue
    found.sort(key=lambda f: f[0])
    return [(literal, value, dropped) for _, literal, value, dropped in found]


def _near(written: int, top: int, negative: bool) -> List[int]:
    """Candidate literal values, nearest the written one first."""
    low = -top if negative else 0
    values = [v for v in range(low, top + 1) if v != written]
    values.sort(key=lambda v: (abs(v - written), v))
    return values


def solve_unknown(node: ast.expr, name: str, new: int, old: int,
                  constants: Optional[Dict[str, int]] = None) -> Optional[Tuple[int, int]]:
    """The (old, new) value of the name ``name`` in ``node`` (its only unknown part) for which
    ``node`` gives ``old`` and ``new``, when each is unique."""
    expression = _Expression(node, constants)
    if list(expression.unknowns) != [ast.dump(ast.Name(id=name, ctx=ast.Load()))]:
        return None
    key = next(iter(expression.unknowns))
    values = {}
    top = min(max(4 * max(abs(old), abs(new)), 1024) + 64, MAX_UNKNOWN)
    for wanted in (old, new):
        matches = []
        for value in range(0, top + 1):
            try:
                if expression.value({key: value}, {}) == wanted:
                    matches.append(value)
            except (ArithmeticError, ValueError):
                continue
            if len(matches) > 1:
                return None
        if len(matches) != 1:
            return None
        values[wanted] = matches[0]
    return values[old], values[new]


# --------------------------------------------------------------------------- the file


class Sources:
    """Follows an argument to where its value is written, in one file and one model."""

    def __init__(self, tree: Optional[ast.Module], positions: Positions,
                 modules: Sequence[Tuple[str, ModuleValue]]) -> None:
        self.tree = tree
        self.positions = positions
        self.modules = modules
        #: Try a literal of an expression before the caller's argument (see ``_edit_expression``).
        self.prefer_literals = False
        #: The calls of the file's functions running when the layer was built, innermost last
        #: (``LayerModule.function_calls``): a factory's parameter is followed to its caller.
        self._calls: Tuple[ast.Call, ...] = ()
        #: The layer's call and the values of the names its arguments read when it was built
        #: (``LayerModule.argument_names``): known parts of an expression in that call.
        self._layer_names: Tuple[Optional[ast.Call], Dict[str, int]] = (None, {})
        self._parents: Optional[Dict[int, ast.AST]] = None

    def parent(self, node: ast.AST) -> Optional[ast.AST]:
        if self._parents is None:
            self._parents = {}
            if self.tree is not None:
                for outer in ast.walk(self.tree):
                    for child in ast.iter_child_nodes(outer):
                        self._parents[id(child)] = outer
        return self._parents.get(id(node))

    def _enclosing(self, node: ast.AST, kinds) -> Optional[ast.AST]:
        current = self.parent(node)
        while current is not None and not isinstance(current, kinds):
            current = self.parent(current)
        return current

    # ----------------------------------------------------------------- entry point

    def edit_layer_argument(self, call: ast.Call, arg: ast.expr, old: Any, new: Any,
                            owner: Optional[ModuleValue], calls: Tuple[ast.Call, ...],
                            names: Optional[Dict[str, int]] = None) -> Optional[SourceEdit]:
        """``edit`` for an argument of a layer's call built while ``calls`` (of the file's
        functions) ran, its arguments reading ``names`` with these values."""
        saved = self._calls, self._layer_names
        self._calls, self._layer_names = calls, (call, dict(names or {}))
        try:
            return self.edit(call, arg, old, new, owner)
        finally:
            self._calls, self._layer_names = saved

    def edit_splatted(self, call: ast.Call, splat: ast.expr, name: str, old: Any, new: Any,
                      owner: Optional[ModuleValue], calls: Tuple[ast.Call, ...]) -> Optional[SourceEdit]:
        """The layer's parameter ``name`` that its call does not write but takes from
        ``**kwargs`` (the function's own ``**kwargs`` parameter, as given): the caller's keyword
        ``name=...`` changed, or added to the caller when it passes none."""
        function = self._enclosing(splat, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        if (type(splat) is not ast.Name or not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
                or function.args.kwarg is None or function.args.kwarg.arg != splat.id
                or _rebound(function, splat.id) or not _is_int(new) and not isinstance(new, tuple)):
            return None
        saved, self._calls = self._calls, calls
        try:
            site, caller_owner, outer = self._caller_of(function, owner)
            if site is None:
                return None
            if any(type(a) is ast.Starred for a in site.args) or any(k.arg is None for k in site.keywords):
                return None
            passed = next((k.value for k in site.keywords if k.arg == name), None)
            if passed is None:
                return self._add_keyword(site, name, new if _is_int(new) else _tuple_text(new))
            self._calls = outer
            return self.edit(site, passed, old, new, caller_owner, 1)
        finally:
            self._calls = saved

    def _caller_of(self, function, owner):
        """(the call that ran ``function`` while the layer was built, the user module that
        made that call, the function calls running around it): an instance's construction for
        an ``__init__``, else the innermost recorded call of it. (None, None, ()) when unknown."""
        instance = self._instance(function, owner)
        if instance is not None:
            if isinstance(instance.node, ast.Call):
                return instance.node, self._owner_of(instance), self._calls
            return None, None, ()
        for position in range(len(self._calls) - 1, -1, -1):
            site = self._calls[position]
            if _callee_name(site) == getattr(function, "name", None):
                return site, owner, self._calls[:position]
        return None, None, ()

    def edit(self, call: ast.Call, arg: ast.expr, old: Any, new: Any, owner: Optional[ModuleValue],
             depth: int = 0) -> Optional[SourceEdit]:
        """Edits making ``arg`` (an argument of ``call``, run while building ``owner``, the user
        module whose ``__init__`` made the layer) evaluate to ``new`` instead of ``old``."""
        if depth > MAX_DEPTH or old == new:
            return None
        if isinstance(new, (tuple, list)):
            return self._edit_per_dim(call, arg, old, tuple(new), owner, depth)
        if not _is_int(new) or not _is_int(old):
            return None
        written = int_literal(arg)
        if written is not None:
            if written != old:
                return None
            return self._replace(call, arg, str(new), local=depth == 0)
        if type(arg) is ast.Name:
            found = self._edit_name(call, arg, old, new, owner, depth)
            if found is not None:
                return found
        return self._edit_expression(call, arg, old, new, owner, depth)

    def _edit_per_dim(self, call, arg, old, new, owner, depth) -> Optional[SourceEdit]:
        olds = tuple(old) if isinstance(old, (tuple, list)) else (old,) * len(new)
        if len(olds) == 1:
            olds = olds * len(new)
        if type(arg) in (ast.Tuple, ast.List) and len(arg.elts) == len(new):
            pieces = []
            for element, before, after in zip(arg.elts, olds, new):
                if before == after:
                    continue
                piece = self.edit(call, element, before, after, owner, depth)
                if piece is None:
                    return None
                pieces.append(piece)
            if not pieces:
                return None
            edits = tuple(sorted((e for p in pieces for e in p.edits), key=lambda e: e.start))
            if len({(e.start, e.end) for e in edits}) != len(edits):
                return None  # two dims from one source: one edit cannot set both
            return SourceEdit(edits, pieces[0].call, pieces[0].target, all(p.local for p in pieces))
        if len(set(new)) == 1 and len(set(olds)) == 1:
            return self.edit(call, arg, olds[0], new[0], owner, depth)
        return None  # one expression for every dim cannot give different sizes

    def _replace(self, call: ast.Call, node: ast.expr, text: str, local: bool) -> Optional[SourceEdit]:
        where = self.positions.call(node)
        if where is None:
            return None
        return SourceEdit((Edit(text, where[0], where[1]),), call, where, local)

    # ----------------------------------------------------------------- expressions

    def _edit_expression(self, call, arg, old, new, owner, depth) -> Optional[SourceEdit]:
        # In a reusable block (a user module built by another), the value comes from the caller:
        # the caller changes, not the class. In the model's own class, or when asked
        # (``prefer_literals``: the caller's edit did not hold), a literal of the expression first.
        if self.prefer_literals or owner is None or self._owner_of(owner) is None:
            return self._edit_literal(call, arg, old, new, depth) or self._edit_through_name(
                call, arg, old, new, owner, depth)
        return self._edit_through_name(call, arg, old, new, owner, depth) or self._edit_literal(
            call, arg, old, new, depth)

    def _edit_through_name(self, call, arg, old, new, owner, depth) -> Optional[SourceEdit]:
        """The value given to the expression's one name where that name gets it."""
        constants = self._constants(arg)  # the instance's names are what is followed here
        names = [nodes[0] for nodes in _Expression(arg, constants).unknowns.values()]
        if not names and constants:
            return self._edit_a_constant(call, arg, new, constants, depth)
        if len(names) == 1 and _indexed_name(arg) is not None:
            return self._edit_indexed_element(call, arg, old, new, owner, depth)
        if len(names) != 1 or type(names[0]) is not ast.Name:
            return None
        values = solve_unknown(arg, names[0].id, new, old, constants)
        if values is None:
            return None
        return self._edit_name(call, names[0], values[0], values[1], owner, depth)

    def _edit_a_constant(self, call, arg, new, constants: Dict[str, int], depth) -> Optional[SourceEdit]:
        """An expression of the module's constants only (``32 * (N_MELS // 4) * (N_FRAMES // 4)``):
        the constant whose nearest value giving ``new`` (the others as they are) is the smallest
        change, edited where it is assigned."""
        found = []
        for name, value in sorted(self._constants(arg).items()):
            others = {k: v for k, v in constants.items() if k != name}
            expression = _Expression(arg, others)
            key = next((k for k in expression.unknowns if k == ast.dump(ast.Name(id=name, ctx=ast.Load()))), None)
            if key is None or len(expression.unknowns) != 1:
                continue
            top = min(max(4 * abs(value), 1024) + 64, MAX_UNKNOWN)
            for candidate in _near(value, top, False):
                try:
                    if expression.value({key: candidate}, {}) == new:
                        found.append((abs(candidate - value) / max(abs(value), 1), name, value, candidate))
                        break
                except (ArithmeticError, ValueError):
                    continue
        for _, name, value, candidate in sorted(found):
            node = next(n for n in ast.walk(arg) if type(n) is ast.Name and n.id == name)
            edit = self._edit_constant(call, node, value, candidate, depth)
            if edit is not None:
                return edit
        return None

    def _edit_literal(self, call, arg, old, new, depth) -> Optional[SourceEdit]:
        """One integer literal of the expression changed so that it gives ``new`` exactly."""
        # An expression of the module's constants (``32 * (N_MELS // 4)``) says what size the
        # rest of the file was written for: which side slipped is a guess, never a local edit.
        # (Names known for this instance only, ``i`` of ``ngf // (2 ** i)`` in a loop, need no
        # such rule: a layer built several times is re-analysed and never safe.)
        local = depth == 0 and not self._constants(arg)
        for literal, value, dropped in literal_edits(arg, old, new, self._known_names(arg)):
            if dropped is not None:
                # ``k // 2 + 1`` -> ``k // 2``: the term goes, not ``+ 0``.
                start, end = self.positions.call(dropped), self.positions.call(literal)
                between = self.positions.between(dropped, literal).strip()
                if start is not None and end is not None and between in ("+", "-"):
                    where = (start[1], end[1])
                    return SourceEdit((Edit("", *where),), call, where, local)
            return self._replace(call, literal, str(value), local=local)
        return None

    # ----------------------------------------------------------------- names

    def _edit_name(self, call, name: ast.Name, old, new, owner, depth) -> Optional[SourceEdit]:
        function = self._enclosing(name, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parameter = _parameter(function, name.id)
            if parameter is None:
                if self.tree is None or self._bound_around(function, name.id):
                    # A local variable: its value is made in the function (an element of a
                    # sequence a loop walks is edited in that sequence).
                    return self._edit_loop_element(name, old, new, owner, function, depth)
                return self._edit_constant(call, name, old, new, depth)  # a global the function reads
            index, default = parameter
            if _rebound_before(function, name.id, name):
                return None
            # Rebound only after this use (``in_channels = h_dim`` at the end of a loop's body):
            # the first pass reads the parameter, and the edit is re-analysed (never local).
            instance = self._instance(function, owner)
            if instance is None:
                found = self._edit_at_function_call(function, index, name.id, old, new, owner, depth)
                if found is not None:
                    return found
            if instance is not None and isinstance(instance.node, ast.Call):
                passed = _passed(instance.node, function, index, name.id)
                if passed is not None:
                    return self.edit(instance.node, passed, old, new, self._owner_of(instance), depth + 1)
                if default is not None and self._passed_elsewhere(function, index, name.id):
                    # Other instances pass their own value: this one is given its value, the
                    # class keeps its default (never changed for what one instance needs).
                    return self._add_keyword(instance.node, name.id, new)
            # The default is the one place the value is written: changed there, whatever else
            # reads it (such an edit is never local, so the file is re-analysed before it is offered).
            if default is not None:
                found = self.edit(default, default, old, new, None, depth + 1)
                return found._replace(prefix=f"{name.id}=") if found is not None else None
            return None
        if function is None and self.tree is not None:
            return self._edit_constant(call, name, old, new, depth)
        return None

    def _edit_loop_element(self, name: ast.Name, old, new, owner, function, depth) -> Optional[SourceEdit]:
        """A loop variable (``u`` of ``for i, (u, k) in enumerate(zip(upsample_rates, kernels))``)
        bound nowhere else in that loop: the one element of the sequence it walks whose value is
        ``old``, changed where that sequence is written (the caller's argument, the default, a
        module constant). None when no element or several have that value."""
        loop = self._binding_loop(name)
        if loop is None:
            return None
        sequence = _walked_sequence(loop.target, loop.iter, name.id)
        if type(sequence) is not ast.Name:
            return None
        written, prefix = self._written_sequence(sequence, owner, function)
        if type(written) not in (ast.Tuple, ast.List):
            return None
        matches = [e for e in written.elts if int_literal(e) == old]
        if len(matches) != 1:
            return None
        found = self._replace(written, matches[0], str(new), local=False)
        return found._replace(prefix=prefix) if found is not None and depth < MAX_DEPTH else None

    def _edit_indexed_element(self, call, arg: ast.Subscript, old, new, owner, depth) -> Optional[SourceEdit]:
        """``dilation[0]`` of a parameter or a module constant: the element at that index where
        the sequence is written (the default ``dilation=(1, 3)``, the caller's argument, or,
        when the caller passes a loop variable, the one element of the sequence it walks whose
        element at that index is ``old``)."""
        name, index = _indexed_name(arg)
        function = self._enclosing(arg, (ast.FunctionDef, ast.AsyncFunctionDef))
        if function is None or depth >= MAX_DEPTH:
            return None
        written, prefix = self._written_sequence(name, owner, function)
        if type(written) is ast.Name and owner is not None:
            # The caller passes a loop variable: the element of the sequence it walks.
            loop = self._binding_loop(written)
            caller = self._enclosing(written, (ast.FunctionDef, ast.AsyncFunctionDef))
            sequence = _walked_sequence(loop.target, loop.iter, written.id) if loop is not None else None
            if caller is None or type(sequence) is not ast.Name:
                return None
            outer, prefix = self._written_sequence(sequence, self._owner_of(owner), caller)
            if type(outer) not in (ast.Tuple, ast.List):
                return None
            rows = [e for e in outer.elts if type(e) in (ast.Tuple, ast.List) and index < len(e.elts)
                    and int_literal(e.elts[index]) == old]
            if len(rows) != 1:
                return None
            written = rows[0]
        if type(written) not in (ast.Tuple, ast.List) or index >= len(written.elts) \
                or int_literal(written.elts[index]) != old:
            return None
        found = self._replace(written, written.elts[index], str(new), local=False)
        return found._replace(prefix=prefix) if found is not None else None

    def _binding_loop(self, name: ast.Name) -> Optional[ast.For]:
        """The loop around ``name`` whose target binds it, when nothing else in that loop does
        (another loop of the function may reuse the name: ``k`` of the upsampling loop and ``k``
        of the residual blocks' loop)."""
        loop = self._enclosing(name, (ast.For,))
        while loop is not None:
            bindings = [n for n in ast.walk(loop) if type(n) is ast.Name and n.id == name.id
                        and type(n.ctx) is not ast.Load]
            if any(_contains(loop.target, b) for b in bindings):
                return loop if len(bindings) == 1 else None
            loop = self._enclosing(loop, (ast.For,))
        return None

    def _written_sequence(self, name: ast.Name, owner, function) -> Tuple[Optional[ast.expr], str]:
        """Where the sequence ``name`` is written: the caller's argument for this instance, the
        parameter's default, or a module constant assigned once; and the help line's prefix."""
        parameter = _parameter(function, name.id)
        if parameter is None:
            if self.tree is None or self._bound_around(function, name.id):
                return None, ""
            assigned = [s for s in self.tree.body if isinstance(s, ast.Assign) and len(s.targets) == 1
                        and type(s.targets[0]) is ast.Name and s.targets[0].id == name.id]
            if len(assigned) != 1 or _assigned_elsewhere(self.tree, name.id, assigned[0]):
                return None, ""
            return assigned[0].value, f"{name.id} = "
        index, default = parameter
        if _rebound(function, name.id):
            return None, ""
        instance = self._instance(function, owner)
        if instance is not None and isinstance(instance.node, ast.Call):
            passed = _passed(instance.node, function, index, name.id)
            if passed is not None:
                return passed, f"{name.id}="
        return default, f"{name.id}="

    def _edit_at_function_call(self, function, index: int, name: str, old, new, owner,
                               depth: int) -> Optional[SourceEdit]:
        """A parameter of a factory function (``conv_bn_relu(in_ch, out_ch)``) or a helper
        method: the argument of the call that ran while the layer was built, changed there."""
        for position in range(len(self._calls) - 1, -1, -1):
            site = self._calls[position]
            if _callee_name(site) != getattr(function, "name", None):
                continue
            is_method = bool(function.args.args) and function.args.args[0].arg in ("self", "cls")
            # ``_passed`` counts ``self``; a plain function's first parameter is passed.
            passed = _passed(site, function, index if is_method else index + 1, name)
            if passed is None:
                return None
            saved, self._calls = self._calls, self._calls[:position]
            try:
                return self.edit(site, passed, old, new, owner, depth + 1)
            finally:
                self._calls = saved
        return None

    def _known_names(self, node: ast.expr) -> Dict[str, int]:
        """The names of ``node`` whose values are known: the module's constants and, in the
        layer's own call, the values its construction read."""
        found = self._constants(node)
        call, names = self._layer_names
        if call is not None and names and _contains(call, node):
            found.update({name: value for name, value in names.items()
                          if any(type(n) is ast.Name and n.id == name for n in ast.walk(node))})
        return found

    def _constants(self, node: ast.expr) -> Dict[str, int]:
        """The module's integer constants (``N_MELS = 32``, bound once) that ``node`` reads
        where no function around it binds their names."""
        if self.tree is None:
            return {}
        function = self._enclosing(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        found: Dict[str, int] = {}
        for name in {n.id for n in ast.walk(node) if type(n) is ast.Name}:
            assigned = [s for s in self.tree.body if isinstance(s, ast.Assign) and len(s.targets) == 1
                        and type(s.targets[0]) is ast.Name and s.targets[0].id == name]
            if len(assigned) != 1 or _assigned_elsewhere(self.tree, name, assigned[0]):
                continue
            value = int_literal(assigned[0].value)
            if value is not None and not self._bound_around(function, name):
                found[name] = value
        return found

    def _bound_around(self, function, name: str) -> bool:
        """Whether ``function`` or a function around it binds ``name`` (a parameter, a local):
        then it is not the module's constant."""
        while isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if _parameter(function, name) is not None or _rebound(function, name):
                return True
            function = self._enclosing(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        return False

    def _passed_elsewhere(self, function, index: int, name: str) -> bool:
        """Whether some call of the class whose ``__init__`` is ``function`` passes ``name``."""
        cls = self.parent(function)
        if self.tree is None or not isinstance(cls, ast.ClassDef):
            return False
        calls = (n for n in ast.walk(self.tree) if type(n) is ast.Call
                 and (getattr(n.func, "id", None) == cls.name or getattr(n.func, "attr", None) == cls.name))
        return any(_passed(call, function, index, name) is not None for call in calls)

    def _add_keyword(self, call: ast.Call, name: str, value: Any) -> Optional[SourceEdit]:
        """``Block(16)`` -> ``Block(16, hidden=8)``."""
        end = self.positions.end_of_arguments(call)
        if end is None:
            return None
        return SourceEdit((Edit(f", {name}={value}", end, end),), call, (end, end), False)

    def _edit_constant(self, call, name: ast.Name, old, new, depth) -> Optional[SourceEdit]:
        """A module-level ``NAME = literal`` assigned once. Other code may read it too (``nz`` of
        the generator's first layer and of the example's ``torch.randn(8, nz, 1, 1)``): such an
        edit is never local, so the edited file is re-analysed before it is offered."""
        assigned = [s for s in self.tree.body if isinstance(s, ast.Assign) and len(s.targets) == 1
                    and type(s.targets[0]) is ast.Name and s.targets[0].id == name.id]
        if len(assigned) != 1 or _assigned_elsewhere(self.tree, name.id, assigned[0]):
            return None
        value = assigned[0].value
        if int_literal(value) is None:
            return None
        found = self.edit(assigned[0], value, old, new, None, depth + 1)
        return found._replace(prefix="") if found is not None else None

    def _instance(self, function: ast.AST, owner: Optional[ModuleValue]) -> Optional[UserModule]:
        """The instance of the user class whose ``__init__`` is ``function`` that built the layer."""
        if getattr(function, "name", None) != "__init__":
            return None
        cls = self.parent(function)
        if not isinstance(cls, ast.ClassDef):
            return None
        if isinstance(owner, UserModule) and getattr(owner.cls, "node", None) is cls:
            return owner
        return None

    def _owner_of(self, module: ModuleValue) -> Optional[ModuleValue]:
        """The user module that built ``module`` (its nearest user-module ancestor)."""
        return owner_of(self.modules, module)


def owner_of(modules: Sequence[Tuple[str, ModuleValue]], module: ModuleValue) -> Optional[ModuleValue]:
    """The nearest user-module ancestor of ``module`` in a model's ``named_modules()``."""
    by_name = {name: value for name, value in modules}
    name = next((n for n, m in modules if m is module), None)
    while name:
        name = name.rpartition(".")[0]
        candidate = by_name.get(name)
        if isinstance(candidate, UserModule):
            return candidate
    return None


def _walked_sequence(target: ast.expr, iterable: ast.expr, name: str) -> Optional[ast.expr]:
    """The sequence whose elements a loop binds to ``name``: ``iterable`` itself, or one argument
    of ``zip(...)``, through ``enumerate(...)``. None otherwise."""
    if type(target) is ast.Name:
        return iterable if target.id == name else None
    if type(target) not in (ast.Tuple, ast.List) or type(iterable) is not ast.Call or iterable.keywords:
        return None
    callee = _callee_name(iterable)
    if callee == "enumerate" and len(iterable.args) == 1 and len(target.elts) == 2:
        return _walked_sequence(target.elts[1], iterable.args[0], name)
    if callee == "zip" and len(iterable.args) == len(target.elts):
        for element, argument in zip(target.elts, iterable.args):
            found = _walked_sequence(element, argument, name)
            if found is not None:
                return found
    return None


def _indexed_name(node: ast.AST) -> Optional[Tuple[ast.Name, int]]:
    """``name[i]`` with a literal non-negative ``i``: (the name, ``i``); else None."""
    if type(node) is not ast.Subscript or type(node.value) is not ast.Name:
        return None
    index = int_literal(node.slice)
    return (node.value, index) if index is not None and index >= 0 else None


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    """Whether ``inner``'s text lies within ``outer``'s."""
    return ((outer.lineno, outer.col_offset) <= (inner.lineno, inner.col_offset)
            and (inner.end_lineno, inner.end_col_offset) <= (outer.end_lineno, outer.end_col_offset))


def _tuple_text(values: Tuple[Any, ...]) -> str:
    return f"({values[0]},)" if len(values) == 1 else f"({', '.join(str(v) for v in values)})"


def _callee_name(call: ast.Call) -> Optional[str]:
    """``conv_bn_relu`` of ``conv_bn_relu(...)``, ``_make_layer`` of ``self._make_layer(...)``."""
    func = call.func
    return func.id if type(func) is ast.Name else func.attr if type(func) is ast.Attribute else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parameter(function, name: str) -> Optional[Tuple[int, Optional[ast.expr]]]:
    """(positional index or -1 for keyword-only, default) of parameter ``name``."""
    args = function.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for index, (arg, default) in enumerate(zip(positional, defaults)):
        if arg.arg == name:
            return index, default
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        if arg.arg == name:
            return -1, default
    return None


def _passed(call: ast.Call, function, index: int, name: str) -> Optional[ast.expr]:
    """The caller's argument for parameter ``name`` (positional ``index`` counts ``self``)."""
    if any(type(a) is ast.Starred for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    position = index - 1  # ``self`` is not passed
    if 0 <= position < len(call.args) and index >= 0:
        return call.args[position]
    return None


def _assigned_elsewhere(tree: ast.Module, name: str, assignment: ast.Assign) -> bool:
    """Whether ``name`` is bound anywhere but ``assignment`` (a loop, a global, a local that
    shadows it): then the constant is not the one source of its value."""
    target = assignment.targets[0]
    return any(type(n) is ast.Name and n.id == name and type(n.ctx) is not ast.Load and n is not target
               for n in ast.walk(tree))


def _rebound_before(function, name: str, use: ast.AST) -> bool:
    """Whether ``function`` binds ``name`` before ``use`` in its text (a loop's target, an
    assignment): then the value ``use`` reads may not be the parameter's."""
    return any(type(n) is ast.Name and n.id == name and type(n.ctx) is not ast.Load
               and (n.lineno, n.col_offset) < (use.lineno, use.col_offset) for n in ast.walk(function))


def _rebound(function, name: str) -> bool:
    return any(type(n) is ast.Name and n.id == name and type(n.ctx) is not ast.Load for n in ast.walk(function))
