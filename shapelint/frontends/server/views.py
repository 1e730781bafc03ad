"""What an editor shows of a file's shapes: hovers and inlay hints (pure functions).

A :class:`ShapesView` is built once per analysis from its result (the models' layers and the
statements that gave tensors) and the tree of the text analysed; :func:`hover_at` and
:func:`inlay_hints` read it. Rows and columns are those of the analysed text, 1-based, columns in
code points; the protocol layer maps them to the buffer as it is now.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ...core.results import FileResult, LayerShape, ModelShapes, ModelSummary, StatementShape
from ...core.shapes import MaybeShape, format_shape

#: Instances listed in one hover (a block built many times).
MAX_LISTED = 8


def shape_text(shape: MaybeShape) -> str:
    """``[4, 64, 16, 16]``; unknown dims ``?``, an unknown rank ``?``."""
    return "?" if shape is None else format_shape(shape)


def shapes_text(shapes: Sequence[MaybeShape]) -> str:
    """One tensor's shape, or a tuple of them."""
    if len(shapes) == 1:
        return shape_text(shapes[0])
    return "(" + ", ".join(shape_text(shape) for shape in shapes) + ")"


def is_known(shape: MaybeShape) -> bool:
    return shape is not None and None not in shape


# --------------------------------------------------------------------------------------------
# The view of one analysis


@dataclass
class Instance:
    """One layer of one model: where an editor shows a constructor's shapes."""

    model: ModelShapes
    layer: LayerShape


@dataclass
class ShapesView:
    """The shapes of one analysed text, by line."""

    lines: Sequence[str]
    tree: Optional[ast.Module]
    models: List[ModelShapes] = field(default_factory=list)
    summaries: List[ModelSummary] = field(default_factory=list)
    #: constructor line -> the layers it builds, over every model of the file, in model order.
    layers: Dict[int, List[Instance]] = field(default_factory=dict)
    #: statement line (each line of it) -> what it gave, in the first model that ran it.
    statements: Dict[int, Tuple[ModelShapes, StatementShape]] = field(default_factory=dict)


def build_view(result: FileResult, lines: Sequence[str], tree: Optional[ast.Module]) -> ShapesView:
    view = ShapesView(lines, tree, list(result.models), list(result.summaries))
    for model in result.models:
        for layer in model.layers:
            if layer.filename is None and layer.name:  # built by this file's code
                view.layers.setdefault(layer.line, []).append(Instance(model, layer))
        for statement in model.statements:
            for line in range(statement.line, statement.end_line + 1):
                view.statements.setdefault(line, (model, statement))
    return view


# --------------------------------------------------------------------------------------------
# Inlay hints


@dataclass(frozen=True)
class Hint:
    """A shape shown at the end of a line: ``label`` (``→ [4, 64, 16, 16]``) and a tooltip."""

    row: int
    label: str
    tooltip: str


def inlay_hints(view: ShapesView, first_row: int, last_row: int) -> List[Hint]:
    """The output shape at the end of each layer line (its first call) and of each statement
    that gave tensors (the line it ends on), between the two rows."""
    hints: Dict[int, Hint] = {}
    for row, instances in view.layers.items():
        if first_row <= row <= last_row:
            instance = _first_call(instances)
            layer = instance.layer
            tooltip = "\n".join(_layer_line(i) for i in instances[:MAX_LISTED])
            hints[row] = Hint(row, f"→ {shape_text(layer.output)}", tooltip)
    seen = set()
    for _row, (model, statement) in sorted(view.statements.items()):
        if id(statement) in seen or not first_row <= statement.end_line <= last_row:
            continue
        seen.add(id(statement))
        tooltip = _statement_sentence(statement)
        # A statement's line shows what the statement gave, not a layer it builds on the way.
        hints[statement.end_line] = Hint(statement.end_line, f"→ {shapes_text(statement.outputs)}", tooltip)
    return [hints[row] for row in sorted(hints)]


def _first_call(instances: List[Instance]) -> Instance:
    """The instance whose output a line shows: the first one that was called."""
    for instance in instances:
        if instance.layer.output is not None:
            return instance
    return instances[0]


# --------------------------------------------------------------------------------------------
# Hovers


@dataclass(frozen=True)
class HoverText:
    """Markdown, and the span (row, col, end_row, end_col) it is about."""

    markdown: str
    span: Tuple[int, int, int, int]


def hover_at(view: ShapesView, row: int, col: int) -> Optional[HoverText]:
    """What to show for the position (1-based row, code-point column): the layer a constructor
    or a ``self.x`` builds, the model a class line defines, the shape a statement or a tensor
    variable holds; None when nothing is known there."""
    if view.tree is None or not 1 <= row <= len(view.lines):
        return None
    chain = _chain_at(view, row, col)
    if not chain:
        return None
    node = chain[-1]
    span = _span(view.lines, node)
    for describe in (_model_hover, _attribute_hover, _name_hover, _call_hover, _statement_hover):
        text = describe(view, chain, row)
        if text:
            return HoverText(text, span)
    return None


def _model_hover(view: ShapesView, chain: List[ast.AST], row: int) -> Optional[str]:
    """On a class line (``class Net(nn.Module):``) or a module-level model's assignment."""
    node = chain[-1]
    owner = next((n for n in reversed(chain) if isinstance(n, (ast.ClassDef, ast.Assign, ast.AnnAssign))), None)
    if isinstance(owner, ast.ClassDef):
        header = owner.body[0].lineno - 1 if owner.body and owner.body[0].lineno > owner.lineno else owner.lineno
        if not owner.lineno <= row <= header:
            return None
        if node is not owner and not any(_inside(node, base) for base in owner.bases):
            return None
        name, line = owner.name, owner.lineno
    elif isinstance(owner, (ast.Assign, ast.AnnAssign)) and len(chain) >= 2 and chain[1] is owner:
        targets = owner.targets if isinstance(owner, ast.Assign) else [owner.target]
        if not (len(targets) == 1 and isinstance(targets[0], ast.Name)) or not _inside(node, targets[0]):
            return None
        name, line = targets[0].id, owner.lineno
    else:
        return None
    models = [m for m in view.models if m.name == name and m.line in (line, *_decorator_lines(owner))]
    if models:
        return "\n\n".join(_model_text(view, m) for m in models)
    instances = [i for found in view.layers.values() for i in found if i.layer.type == name]
    if isinstance(owner, ast.ClassDef) and instances:
        listed = "\n".join(f"- {_layer_line(i)}" for i in instances[:MAX_LISTED])
        more = f"\n- ... {len(instances) - MAX_LISTED} more" if len(instances) > MAX_LISTED else ""
        return f"**{name}**: built as\n{listed}{more}"
    return None


def _decorator_lines(node: ast.AST) -> Tuple[int, ...]:
    return tuple(d.lineno for d in getattr(node, "decorator_list", ()))


def _accepts_text(conditions) -> str:
    return " and ".join(f"`{condition}`" for condition in conditions) if conditions else "every size"


def _input_note(model: ModelShapes, declared: bool) -> str:
    """How the hover's input came to be, as ``shapes`` says it."""
    if model.input_probed:
        return " (not declared: rank and channels from its first layer)"
    if declared and model.input:
        return " (declared)"
    return " (not declared)" if model.input is None else ""


def _model_text(view: ShapesView, model: ModelShapes) -> str:
    summary = next((s for s in view.summaries if s.name == model.name and s.line == model.line), None)
    lines = [f"**{model.name}** (model)"]
    declared_input = summary.declared_input if summary is not None else model.input is not None
    lines.append(f"- input: `{shape_text(model.input)}`" + _input_note(model, declared_input))
    output = f"- output: `{shape_text(model.output)}` (inferred)"
    if model.declared_output is not None:
        output += f", declared `{shape_text(model.declared_output)}`"
    lines.append(output)
    # As `shapes` says: the sizes of the declared names the model runs on (`[]`: every size);
    # not determined for an input without names, or a model not followed to its end.
    lines.append(f"- accepts: {_accepts_text(model.accepts)}" if model.accepts is not None else
                 "- accepts: not determined" + (" (no input is declared)" if model.input is None else ""))
    if summary is not None:
        lines.append(f"- {summary.layers_inferred} of {summary.layers} layers inferred"
                     + ("" if summary.followed else "; not followed to its output"))
    unknown = next((layer for layer in model.layers if layer.unknown_reason), None)
    if unknown is not None and not is_known(model.output):
        lines.append(f"- first unknown: `{unknown.name}`: {unknown.unknown_reason}")
    return "\n".join(lines)


def _attribute_hover(view: ShapesView, chain: List[ast.AST], row: int) -> Optional[str]:
    """``self.x`` anywhere in a class: the layers its assignment in ``__init__`` builds, and the
    statement around it when it is called in ``forward``."""
    node = chain[-1]
    attribute = next((n for n in reversed(chain) if isinstance(n, ast.Attribute)), None)
    if attribute is None or not (isinstance(attribute.value, ast.Name) and attribute.value.id == "self"):
        return None
    if node is not attribute and node is not attribute.value:
        return None
    cls = next((n for n in reversed(chain) if isinstance(n, ast.ClassDef)), None)
    if cls is None:
        return None
    parts = []
    for value in _assigned_in_init(cls, attribute.attr):
        instances = _instances_of(view, value)
        if instances:
            parts.append(_layers_text(instances))
    statement = _called_in(view, chain, attribute)
    if statement is not None:
        parts.append(statement)
    return "\n\n".join(parts) or None


def _assigned_in_init(cls: ast.ClassDef, name: str) -> List[ast.expr]:
    """The values ``self.name = ...`` is given in the class's ``__init__``."""
    values: List[ast.expr] = []
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            for node in ast.walk(item):
                targets: Iterable[ast.expr] = ()
                if isinstance(node, ast.Assign):
                    targets = node.targets
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    targets = (node.target,)
                if any(isinstance(t, ast.Attribute) and t.attr == name and isinstance(t.value, ast.Name)
                       and t.value.id == "self" for t in targets):
                    values.append(node.value)
    return values


def _instances_of(view: ShapesView, value: ast.expr) -> List[Instance]:
    """The layers a constructor expression builds: those of its first line, of the type it
    names when it names one."""
    found = view.layers.get(value.lineno, [])
    if isinstance(value, ast.Call):
        kind = _callee_name(value.func)
        typed = [i for i in found if i.layer.type == kind]
        if typed:
            return typed
    return found


def _callee_name(func: ast.expr) -> Optional[str]:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _layers_text(instances: List[Instance]) -> str:
    kind = instances[0].layer.type or "?"
    models = {id(i.model) for i in instances}
    head = f"**{kind}**" + (" (first call)" if len(instances) == 1 else f", {len(instances)} instances (first calls)")
    listed = [f"- {_layer_line(i, with_model=len(models) > 1)}" for i in instances[:MAX_LISTED]]
    if len(instances) > MAX_LISTED:
        listed.append(f"- ... {len(instances) - MAX_LISTED} more")
    return "\n".join([head] + listed)


def _layer_line(instance: Instance, with_model: bool = True) -> str:
    layer = instance.layer
    where = f" in `{instance.model.name}`" if with_model else ""
    text = f"`{layer.name}`{where}: `{shape_text(layer.input)} -> {shape_text(layer.output)}`"
    if layer.unknown_reason:
        text += f" (unknown: {layer.unknown_reason})"
    return text


def _called_in(view: ShapesView, chain: List[ast.AST], attribute: ast.Attribute) -> Optional[str]:
    """The statement's shape when ``self.x(...)`` is called in it."""
    index = next(k for k, n in enumerate(chain) if n is attribute)
    parent = chain[index - 1] if index > 0 else None
    if not (isinstance(parent, ast.Call) and parent.func is attribute):
        return None
    return _statement_of(view, chain)


def _name_hover(view: ShapesView, chain: List[ast.AST], row: int) -> Optional[str]:
    """A variable in a function: the shape it holds (its assignment's, the latest one above),
    or, for a parameter of ``forward``, the input it is called with."""
    node = chain[-1]
    if not isinstance(node, (ast.Name, ast.arg)):
        return None
    function = next((n for n in reversed(chain) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if function is None:
        return None
    name = node.id if isinstance(node, ast.Name) else node.arg
    if name == "self":
        return None
    row = node.lineno  # the node's own line (a name spans one)
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        statement = view.statements.get(row)
        if statement is not None:
            return f"`{name}`: {_statement_text(statement[1])}"
        return None
    assignment = _latest_assignment(function, name, row)
    if assignment is not None:
        statement = view.statements.get(getattr(assignment, "end_lineno", None) or assignment.lineno)
        if statement is not None:
            return f"`{name}`: {_statement_text(statement[1])} (line {assignment.lineno})"
        return None
    if any(a.arg == name for a in _parameters(function)):
        return _parameter_text(view, chain, function, name)
    return None


def _parameters(function: ast.FunctionDef) -> List[ast.arg]:
    args = function.args
    return list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)


def _latest_assignment(function: ast.AST, name: str, row: int) -> Optional[ast.stmt]:
    """The last simple statement above ``row`` in ``function`` that assigns ``name``."""
    best: Optional[ast.stmt] = None
    for node in ast.walk(function):
        if not isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) or node.lineno >= row:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(t, ast.Name) and t.id == name for target in targets for t in ast.walk(target)):
            if best is None or node.lineno > best.lineno:
                best = node
    return best


def _parameter_text(view: ShapesView, chain: List[ast.AST], function: ast.FunctionDef, name: str) -> Optional[str]:
    """The first tensor parameter of ``forward``: the model's input, or each instance's input
    for a block."""
    params = [a.arg for a in _parameters(function)]
    if function.name != "forward" or len(params) < 2 or params[1] != name:
        return None
    cls = next((n for n in reversed(chain) if isinstance(n, ast.ClassDef)), None)
    if cls is None:
        return None
    models = [m for m in view.models if m.name == cls.name]
    if models and models[0].input is not None:
        return f"`{name}`: `{shape_text(models[0].input)}` (the input of `{cls.name}`)"
    instances = [i for found in view.layers.values() for i in found if i.layer.type == cls.name]
    if instances:
        listed = "\n".join(f"- `{i.layer.name}` in `{i.model.name}`: `{shape_text(i.layer.input)}`"
                           for i in instances[:MAX_LISTED])
        return f"`{name}` (the input of each `{cls.name}`):\n{listed}"
    return None


def _call_hover(view: ShapesView, chain: List[ast.AST], row: int) -> Optional[str]:
    """Inside a call: the layer it constructs (on a constructor line), else the statement's
    shape."""
    call = next((n for n in reversed(chain) if isinstance(n, ast.Call)), None)
    if call is None:
        return None
    instances = _instances_of(view, call)
    if instances and _constructs(call, instances):
        return _layers_text(_nth_of_line(view, call, instances))
    return None


def _constructs(call: ast.Call, instances: List[Instance]) -> bool:
    kind = _callee_name(call.func)
    return kind is not None and any(i.layer.type == kind for i in instances)


def _nth_of_line(view: ShapesView, call: ast.Call, instances: List[Instance]) -> List[Instance]:
    """Of the layers a line builds of one type, those this call builds: two ``nn.ReLU()`` on one
    line are told apart by their order on it (in each model, the n-th built is the n-th call)."""
    kind = _callee_name(call.func)
    statement_calls = sorted(
        (n for n in ast.walk(view.tree) if isinstance(n, ast.Call) and n.lineno == call.lineno
         and _callee_name(n.func) == kind),
        key=lambda n: n.col_offset,
    ) if view.tree is not None else [call]
    if len(statement_calls) <= 1:
        return instances
    position = next((k for k, n in enumerate(statement_calls) if n is call), 0)
    chosen: List[Instance] = []
    by_model: Dict[int, List[Instance]] = {}
    for instance in instances:
        by_model.setdefault(id(instance.model), []).append(instance)
    for group in by_model.values():
        # Per construction of the line (a block built three times builds it three times).
        for start in range(0, len(group), len(statement_calls)):
            piece = group[start:start + len(statement_calls)]
            if position < len(piece):
                chosen.append(piece[position])
    return chosen or instances


def _statement_hover(view: ShapesView, chain: List[ast.AST], row: int) -> Optional[str]:
    node = chain[-1]
    found = _statement_of(view, chain)
    if found is not None:
        return found
    instances = view.layers.get(getattr(node, "lineno", 0), [])
    statement = next((n for n in chain if isinstance(n, ast.stmt)
                      and not isinstance(n, (ast.ClassDef, ast.FunctionDef))), None)
    if instances and statement is not None and statement.lineno == node.lineno:
        return _layers_text(instances)
    return None


def _statement_of(view: ShapesView, chain: List[ast.AST]) -> Optional[str]:
    statement = next((n for n in reversed(chain) if isinstance(n, ast.stmt)), None)
    if statement is None:
        return None
    found = view.statements.get(getattr(statement, "end_lineno", None) or statement.lineno)
    if found is None or found[1].line != statement.lineno:
        return None
    return f"statement: {_statement_text(found[1])}"


def _statement_text(statement: StatementShape) -> str:
    text = f"`{shapes_text(statement.outputs)}`"
    if statement.runs > 1:
        text += f" (first of {statement.runs} runs; last `{shapes_text(statement.last_outputs)}`)"
    if statement.unknown_reason:
        text += f"\n\nunknown: {statement.unknown_reason}"
    return text


def _statement_sentence(statement: StatementShape) -> str:
    text = f"{shapes_text(statement.outputs)}"
    if statement.runs > 1:
        text += f" on the first of {statement.runs} runs (last: {shapes_text(statement.last_outputs)})"
    if statement.unknown_reason:
        text += f"\nunknown: {statement.unknown_reason}"
    return text


# --------------------------------------------------------------------------------------------
# Nodes at a position


def byte_to_column(line: str, offset: int) -> int:
    """``ast``'s column (UTF-8 bytes into the line) in code points."""
    if line.isascii():
        return offset
    return len(line.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "ignore"))


def _span(lines: Sequence[str], node: ast.AST) -> Tuple[int, int, int, int]:
    row, end_row = node.lineno, getattr(node, "end_lineno", None) or node.lineno
    line = lines[row - 1] if 0 < row <= len(lines) else ""
    end_line = lines[end_row - 1] if 0 < end_row <= len(lines) else ""
    end_offset = getattr(node, "end_col_offset", None)
    return (row, byte_to_column(line, node.col_offset) + 1, end_row,
            byte_to_column(end_line, end_offset if end_offset is not None else len(end_line.encode())) + 1)


def _contains(lines: Sequence[str], node: ast.AST, row: int, col: int) -> bool:
    start_row = getattr(node, "lineno", None)
    if start_row is None:
        return False
    end_row = getattr(node, "end_lineno", None) or start_row
    if not start_row <= row <= end_row:
        return False
    start_row, start_col, end_row, end_col = _span(lines, node)
    if row == start_row and col < start_col:
        return False
    return not (row == end_row and col > end_col)


def _inside(node: ast.AST, outer: ast.AST) -> bool:
    return node is outer or any(node is n for n in ast.walk(outer))


def _chain_at(view: ShapesView, row: int, col: int) -> List[ast.AST]:
    """The nodes containing the position, outermost (the module) first, innermost last."""
    assert view.tree is not None
    chain: List[ast.AST] = [view.tree]
    current: ast.AST = view.tree
    while True:
        inner = next((child for child in _positioned_children(current)
                      if _contains(view.lines, child, row, col)), None)
        if inner is None:
            # A class or function is entered by its body too; keep going into its statements.
            return chain
        chain.append(inner)
        current = inner


def _positioned_children(node: ast.AST) -> Iterable[ast.AST]:
    """The children that have a position; those of a child without one (a function's
    ``arguments``, a ``with`` item) in its place."""
    for child in ast.iter_child_nodes(node):
        if hasattr(child, "lineno"):
            yield child
        else:
            yield from _positioned_children(child)
