"""Shape propagation: torch.nn layers, containers, user modules and tensor operations.

The interpreter of ``evaluate.py`` delegates everything about torch here. Every shape formula is
the core's (``LAYERS``, ``interpolate_shape``, ``flatten_shape``, ``broadcast``); what is not
known here gives an unknown shape, never a guess. Findings are recorded with the ``ast`` node
they belong to and turned into diagnostics (with positions and fixes) by ``analyze.py``.
"""

from __future__ import annotations

import ast
import contextlib

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..core.codes import INCOMPATIBLE_SHAPES, SHAPE_MISMATCH, ShapeError
from ..core.layers import LAYERS, UNKNOWN, BindError, TensorResult, flatten_shape, interpolate_shape
from ..core.shapes import MaybeShape, broadcast, format_shape, is_known, normalize_dim_index
from .collect import ClassInfo, FileIndex, constructions_of
from .evaluate import _STAR_UNKNOWN, Interpreter, Scope, _Abort, _Break, _Continue, _Return, iter_known
from .values import (
    BoundMethod,
    ClassRef,
    ExternalRef,
    FunctionRef,
    LayerModule,
    MethodRef,
    ModuleDictModule,
    ModuleListModule,
    ModuleValue,
    OpaqueModule,
    SequentialModule,
    Symbol,
    Tensor,
    TorchRef,
    UserModule,
    dim_value,
    value_dim,
)

#: Names of a layer's first forward argument, when it is passed by keyword.
_INPUT_NAMES = ("input", "query", "src", "tgt")

_SHAPE_PRESERVING_FUNCTIONS = {
    "relu", "relu_", "relu6", "elu", "elu_", "selu", "celu", "gelu", "silu", "mish", "leaky_relu",
    "leaky_relu_", "hardtanh", "hardtanh_", "hardswish", "hardsigmoid", "sigmoid", "tanh",
    "softplus", "softsign", "softshrink", "hardshrink", "tanhshrink", "logsigmoid", "softmax",
    "softmin", "log_softmax", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
    "feature_alpha_dropout", "normalize", "layer_norm", "batch_norm", "instance_norm",
    "group_norm", "local_response_norm", "rms_norm", "threshold", "rrelu", "prelu", "abs", "exp",
    "log", "sqrt", "rsqrt", "neg", "sin", "cos", "square", "clamp", "clip", "sign", "erf",
    "exp_", "log1p", "expm1", "reciprocal", "floor", "ceil", "round", "trunc", "frac",
    "contiguous", "clone", "detach", "float", "double", "half", "bfloat16", "int", "long",
    "bool", "to", "cpu", "cuda", "type", "requires_grad_", "type_as", "relu6_", "sigmoid_",
    "tanh_", "clamp_", "clamp_min", "clamp_max", "masked_fill", "masked_fill_", "fill_", "zero_",
    "normal_", "uniform_", "nan_to_num", "detach_", "pow", "add", "sub", "mul", "div", "add_",
    "mul_", "sub_", "div_", "silu_", "gelu_", "softmax_", "logit", "atan", "asin", "acos",
    "sinh", "cosh", "tan", "log2", "log10", "exp2", "sqrt_", "abs_", "neg_", "elu_",
    "dropout_", "hardswish_", "mish_", "selu_", "celu_", "rrelu_", "float_power", "true_divide",
    "floor_divide", "remainder", "fmod", "lerp", "addcmul", "addcdiv", "where", "maximum",
    "minimum", "pin_memory", "share_memory_", "cumsum", "cumprod", "flip", "roll", "tril",
    "triu", "sort_values", "sigmoid_focal",
}

#: Element-wise functions of two tensors (broadcasting).
_BROADCASTING = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "true_divide",
                 "floor_divide", "remainder", "fmod", "atan2", "add_", "mul_", "sub_", "div_",
                 "float_power", "lerp", "eq", "ne", "lt", "le", "gt", "ge", "logical_and",
                 "logical_or", "bitwise_and", "bitwise_or", "hypot"}

_REDUCTIONS = {"mean", "sum", "amax", "amin", "std", "var", "prod", "logsumexp", "norm",
               "argmax", "argmin", "all", "any", "nansum", "nanmean", "count_nonzero", "median"}

_CREATION = {"randn", "rand", "zeros", "ones", "empty", "randint", "full", "normal"}

_CREATION_LIKE = {"zeros_like", "ones_like", "randn_like", "rand_like", "empty_like",
                  "full_like", "randint_like"}


@dataclass(eq=False)
class Finding:
    """A diagnostic before positions: where (a node in a statement) and what."""

    code: str
    message: str
    node: Optional[ast.AST]
    statement: Optional[ast.stmt]
    layer: Optional[LayerModule] = None
    error: Optional[ShapeError] = None
    input_shape: MaybeShape = None
    forward_kwargs: Dict[str, Any] = field(default_factory=dict)
    #: For SHP101: the shape the layer (or statement) should produce.
    target: MaybeShape = None
    #: For SHP101: the tensor that missed its declaration (its producers give the chain).
    tensor: Optional[Tensor] = None
    declared: Optional[Any] = None
    #: For SHP106: (tensor, the shape it would need) per operand.
    operands: List[Tuple[Tensor, MaybeShape]] = field(default_factory=list)
    #: For a layer's error: the tensor that arrived (its chain names the layer that made it).
    tensor_in: Optional[Tensor] = None
    #: Where to report when the finding has no node (a model's declaration).
    anchor_line: Optional[Tuple[int, int]] = None
    #: Extra text for the message and the help line, filled in by the suggestion step.
    help: Optional[str] = None
    edits: Optional[Any] = None
    fix_message: Optional[str] = None
    safe: bool = False


@dataclass(eq=False)
class Step:
    """One operation on the path of a tensor: how its output follows from its input."""

    module: Optional[ModuleValue]
    input: Any
    output: Tensor
    #: Recomputes the output shape for another input shape (raises ShapeError); None when the
    #: output does not depend on one input alone (torch.cat, a binary op of two tensors).
    recompute: Optional[Callable[[MaybeShape], MaybeShape]]
    label: str
    #: True for a residual sum followed through one operand only: a chain through it is a
    #: guess about the other operand, so a fix found through it is re-checked on the whole file.
    approximate: bool = False
    order: int = 0
    #: ``recompute`` with the layer's parameters as written, where an error found here made the
    #: analysis go on with them fixed (None: the same as ``recompute``).
    recompute_as_written: Optional[Callable[[MaybeShape], MaybeShape]] = None

    def output_for(self, shape: MaybeShape, as_written: bool = False) -> MaybeShape:
        """The output for another input shape (raises ShapeError); ``as_written``: with the
        parameters as the code has them, not as after the fix of an error found here (a fix
        is checked both ways)."""
        if as_written and self.recompute_as_written is not None:
            return self.recompute_as_written(shape)
        return self.recompute(shape)


def shape_of(value: Any) -> MaybeShape:
    return value.shape if isinstance(value, Tensor) else None


def _plain(value: Any) -> Any:
    """A constructor argument as the core's rules take it: constants, tuples of them, UNKNOWN."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        items = [_plain(v) for v in value]
        if any(isinstance(v, (tuple, list)) for v in items):
            return UNKNOWN
        return tuple(items) if isinstance(value, tuple) else list(items)
    return UNKNOWN


def _as_size_list(args: Sequence[Any]) -> Optional[List[Any]]:
    """``view(2, 3)`` / ``view((2, 3))`` / ``view(torch.Size)`` argument list."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return list(args[0])
    if len(args) == 1 and args[0] is UNKNOWN:
        return None
    return list(args)


def _view_shape(source: MaybeShape, sizes: List[Any]) -> MaybeShape:
    """``x.view(*sizes)``: resolve one ``-1`` against the element count, symbols included."""
    dims = []
    for s in sizes:
        if isinstance(s, Symbol):
            dims.append(s.name)
        elif isinstance(s, int) and not isinstance(s, bool):
            dims.append(s)
        else:
            dims.append(None)
    if sum(1 for d in dims if d == -1) > 1:
        return None
    if -1 not in dims:
        return tuple(d if not (isinstance(d, int) and d < 0) else None for d in dims)
    at = dims.index(-1)
    others = [d for i, d in enumerate(dims) if i != at]
    if source is None or None in source or None in others:
        return tuple(None if i == at else d for i, d in enumerate(dims))
    numerator = Counter(d for d in source if isinstance(d, str))
    denominator = Counter(d for d in others if isinstance(d, str))
    top = math.prod(d for d in source if isinstance(d, int))
    bottom = math.prod(d for d in others if isinstance(d, int))
    inferred: Any = None
    if not denominator - numerator and bottom and top % bottom == 0:
        left = numerator - denominator
        quotient = top // bottom
        if not left:
            inferred = quotient
        elif sum(left.values()) == 1 and quotient == 1:
            inferred = next(iter(left))
    return tuple(inferred if i == at else d for i, d in enumerate(dims))


def _pieces(shape: MaybeShape, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """The tensors of ``chunk``/``split``/``unbind``, as a tuple; UNKNOWN unless their number
    is certain (unpacking then stays unknown instead of guessing)."""
    first = args[0] if args else kwargs.get("split_size_or_sections", kwargs.get("chunks"))
    if name == "unbind":
        first = None
        dim = args[0] if args else kwargs.get("dim", 0)
    else:
        dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
    def whole(n: Any) -> bool:
        return isinstance(n, int) and not isinstance(n, bool)

    if shape is None or not whole(dim):
        return UNKNOWN
    index = normalize_dim_index(dim, len(shape))
    if index is None:
        return UNKNOWN
    size = shape[index]
    known = whole(size) and size > 0
    if name == "unbind":
        if not known:
            return UNKNOWN
        rest = tuple(shape[:index]) + tuple(shape[index + 1:])
        return tuple(Tensor(rest) for _ in range(size))
    if isinstance(first, (list, tuple)) and name == "split":
        if not first or not all(whole(n) and n >= 0 for n in first):
            return UNKNOWN
        if known and sum(first) != size:
            return UNKNOWN  # torch raises; not a shape this tool reports
        sizes = list(first)
    else:
        if not known or not (whole(first) and first > 0):
            return UNKNOWN
        # torch.chunk cuts pieces of ceil(size / chunks); split, pieces of the given size.
        step = -(-size // first) if name == "chunk" else first
        sizes = [step] * (size // step) + ([size % step] if size % step else [])
    return tuple(Tensor(tuple(shape[:index]) + (n,) + tuple(shape[index + 1:])) for n in sizes)


def _reduce(shape: MaybeShape, dim: Any, keepdim: Any) -> MaybeShape:
    if shape is None:
        return None
    if dim is None:
        return (1,) * len(shape) if keepdim is True else ()
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in dims) or keepdim is UNKNOWN:
        return None
    indices = set()
    for d in dims:
        index = normalize_dim_index(d, max(len(shape), 1))
        if index is None:
            return None
        indices.add(index)
    if keepdim:
        return tuple(1 if i in indices else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in indices)


def _index_shape(shape: MaybeShape, index: Any) -> MaybeShape:
    """Basic indexing (ints, slices, None, Ellipsis); anything else is unknown."""
    if shape is None:
        return None
    items = list(index) if isinstance(index, tuple) else [index]
    if sum(1 for i in items if i is Ellipsis) > 1:
        return None
    consumed = sum(1 for i in items if i is not None and i is not Ellipsis)
    if consumed > len(shape):
        return None
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + [slice(None)] * (len(shape) - consumed) + items[at + 1 :]
    out: List[Any] = []
    axis = 0
    for item in items:
        if item is None:
            out.append(1)
            continue
        if axis >= len(shape):
            return None
        size = shape[axis]
        if isinstance(item, bool):
            return None
        if isinstance(item, int):
            axis += 1
            continue
        if isinstance(item, slice):
            if item.start is None and item.stop is None and item.step in (None, 1):
                out.append(size)
            elif is_known(size) and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in (item.start, item.stop, item.step)) and item.step != 0:
                out.append(len(range(*item.indices(size))))
            else:
                out.append(None)
            axis += 1
            continue
        return None
    out.extend(shape[axis:])
    return tuple(out)


class Propagator(Interpreter):
    """The interpreter with torch semantics, recording findings and each tensor's producer."""

    def __init__(self, index: FileIndex) -> None:
        super().__init__(index)
        self.findings: List[Finding] = []
        self._reported: Dict[tuple, Finding] = {}
        self.producers: Dict[int, Step] = {}
        self.constructions: Dict[int, int] = {}
        #: The input tensor of a model with no declared input: its first layer decides its rank.
        self.probe: Optional[Tensor] = None
        #: Pragmas trailing layer constructors: line -> Declared (set by analyze.py).
        self.layer_pragmas: Dict[int, Any] = {}
        self.call_end_line: Optional[Callable[[ast.Call, ast.stmt], Optional[int]]] = None
        self.instances: List[UserModule] = []
        self.attached_pragma_lines: set = set()

    # ----------------------------------------------------------------- findings

    def report(self, finding: Finding) -> None:
        if self.silent:
            return
        key = (finding.code, id(finding.node), id(finding.statement), finding.message)
        earlier = self._reported.get(key)
        if earlier is not None:
            # The same error found again with an input shape (first at construction): keep it,
            # the suggestion needs it.
            if earlier.input_shape is None and finding.input_shape is not None:
                earlier.input_shape = finding.input_shape
                earlier.forward_kwargs = finding.forward_kwargs
            return
        self._reported[key] = finding
        self.findings.append(finding)

    def report_statement(self, code: str, message: str, operands: Sequence[Tuple[Tensor, MaybeShape]] = ()) -> None:
        """A finding at the current statement; ``operands`` are (tensor, shape it should have)
        pairs, whose chains the suggestion step searches for a fix."""
        finding = Finding(code, message, None, self.statement)
        finding.operands = list(operands)
        self.report(finding)

    def step(self, module: Optional[ModuleValue], source: Any, output: Tensor,
             recompute: Optional[Callable[[MaybeShape], MaybeShape]], label: str,
             approximate: bool = False,
             recompute_as_written: Optional[Callable[[MaybeShape], MaybeShape]] = None) -> Tensor:
        self.producers[id(output)] = Step(module, source, output, recompute, label, approximate,
                                          len(self.producers) + 1, recompute_as_written)
        return output

    def _order(self, tensor: Tensor) -> int:
        step = self.producers.get(id(tensor))
        return step.order if step is not None else 0

    # ----------------------------------------------------------------- construction

    def torch_call(self, ref: TorchRef, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        name = ref.name
        for prefix in ("torch.nn.modules.", "torch.nn.modules"):
            if name.startswith(prefix):
                name = "torch.nn." + name.rsplit(".", 1)[-1]
        if name.startswith("torch.nn.functional."):
            return self.functional(name[len("torch.nn.functional."):], args, kwargs)
        if name.startswith("torch.nn.init.") or name.startswith("torch.nn.utils.") and not name.endswith("_norm"):
            return UNKNOWN
        if name.startswith("torch.nn.utils.") or name.startswith("torch.nn.utils.parametrizations."):
            # spectral_norm / weight_norm return the module they are given
            return args[0] if args and isinstance(args[0], ModuleValue) else UNKNOWN
        if name.startswith("torch.nn.") and name.count(".") == 2:
            return self.construct(name[len("torch.nn."):], args, kwargs, node)
        if name.startswith("torch.") and name.count(".") == 1:
            return self.torch_function(name[len("torch."):], args, kwargs)
        return UNKNOWN

    def construct(self, short: str, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        if short == "Parameter" or short == "Buffer":
            return args[0] if args and isinstance(args[0], Tensor) else Tensor(None)
        if short in ("Sequential", "ModuleList", "ModuleDict"):
            return self.container(short, args, kwargs, node)
        spec = LAYERS.get(short)
        if spec is None:
            if short[:1].isupper():
                return OpaqueModule(short, node=node, statement=self.statement)
            return UNKNOWN
        count = self.constructions.get(id(node), 0) + 1
        self.constructions[id(node)] = count
        if _STAR_UNKNOWN in args:
            params = {p.name: UNKNOWN for p in spec.signature}
        else:
            try:
                params = spec.bind([_plain(a) for a in args], {k: _plain(v) for k, v in kwargs.items()})
            except BindError:
                params = {p.name: UNKNOWN for p in spec.signature}
        module = LayerModule(short, node=node, statement=self.statement, spec=spec, params=params,
                             constructions=count)
        if self.silent:
            module.uncertain = False  # built silently only matters for reporting, not for use
        self._add_submodules(module, None, None)
        self._attach_layer_pragma(module)
        try:
            spec.infer(params, None)
        except ShapeError as error:
            self.report_layer(module, error, None, {})
        except Exception:  # noqa: BLE001 - a rule choking on odd values is not the user's error
            pass
        try:
            for warning in spec.warnings(params):
                self.report(Finding(warning.code, warning.message, node, self.statement, module, warning))
        except Exception:  # noqa: BLE001
            pass
        return module

    def _add_submodules(self, module: LayerModule, x: MaybeShape, out: MaybeShape) -> None:
        """The submodules a layer builds itself (``named_modules()`` lists them), and on its
        call their calls. They are opaque: what calls them directly gets an unknown result."""
        spec = module.spec
        if spec.submodules is None:
            return
        try:
            subs = spec.submodules(module.params, x, out)
        except Exception:  # noqa: BLE001 - odd evaluated values must not crash the analysis
            return

        def add(parent: ModuleValue, items) -> None:
            for sub in items:
                child = parent.children.get(sub.name)
                if child is None:
                    child = OpaqueModule(sub.type_name, node=module.node, statement=module.statement)
                    parent.children[sub.name] = child
                if sub.called:
                    child.record_call(sub.input, sub.output)
                add(child, sub.children)

        add(module, subs)

    def _attach_layer_pragma(self, module: ModuleValue) -> None:
        if not self.layer_pragmas or self.call_end_line is None or module.node is None:
            return
        line = self.call_end_line(module.node, self.statement)
        if line in self.layer_pragmas:
            module.declared_output = self.layer_pragmas[line]
            self.attached_pragma_lines.add(line)

    def container(self, kind: str, args: List[Any], kwargs: Dict[str, Any], node) -> ModuleValue:
        cls = {"Sequential": SequentialModule, "ModuleList": ModuleListModule,
               "ModuleDict": ModuleDictModule}[kind]
        module = cls(kind, node=node, statement=self.statement)
        self._attach_layer_pragma(module)
        self.fill_container(module, kind, args)
        return module

    def fill_container(self, module: ModuleValue, kind: str, args: List[Any]) -> None:
        if _STAR_UNKNOWN in args:
            module.incomplete = True
            return
        if kind == "Sequential":
            if len(args) == 1 and isinstance(args[0], dict):
                for key, value in args[0].items():
                    self._add_child(module, str(key), value)
            else:
                for value in args:
                    self._add_child(module, str(len(module.children)), value)
        elif kind == "ModuleList":
            if args:
                items = iter_known(args[0])
                if items is None:
                    module.incomplete = True
                    return
                for value in items:
                    self._add_child(module, str(len(module.children)), value)
        elif kind == "ModuleDict":
            if args:
                source = args[0]
                if isinstance(source, dict):
                    for key, value in source.items():
                        self._add_child(module, str(key), value)
                else:
                    items = iter_known(source)
                    if items is None:
                        module.incomplete = True
                        return
                    for item in items:
                        if isinstance(item, (tuple, list)) and len(item) == 2:
                            self._add_child(module, str(item[0]), item[1])
                        else:
                            module.incomplete = True

    def _add_child(self, module: ModuleValue, name: str, value: Any) -> None:
        if isinstance(value, ModuleValue):
            module.children[name] = value
        elif value is None:
            module.children[name] = None  # type: ignore[assignment]
        else:
            module.incomplete = True

    def instantiate(self, info: ClassInfo, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        module = UserModule(info.name, node=node, statement=self.statement, cls=info)
        self.instances.append(module)
        self._attach_layer_pragma(module)
        if _STAR_UNKNOWN in args:
            module.incomplete = True
            module.uncertain = True
            return module
        found = info.find_method("__init__")
        if found is None:
            self.base_init(module, args, kwargs)
            return module
        owner, init = found
        if node is None and not args and not kwargs and _required_parameters(init):
            # A model analysed on its own whose constructor needs arguments: as the file builds it.
            args, kwargs = self._file_construction(info)
        self.call_function(FunctionRef(init, owner), [module] + list(args), kwargs)
        return module

    def _file_construction(self, info: ClassInfo) -> Tuple[List[Any], Dict[str, Any]]:
        """The arguments of the file's construction of ``info`` (``ResNet(BasicBlock, [2, 2, 2, 2])``
        in a factory function), evaluated in the module's scope: used when the file constructs the
        class once, or several times with the same evaluable arguments; otherwise none."""
        result: Tuple[List[Any], Dict[str, Any]] = ([], {})
        chosen: Optional[Tuple[List[Any], Dict[str, Any]]] = None
        every = self.__dict__.get("_constructions")
        if every is None:
            every = self.__dict__["_constructions"] = constructions_of(self.index.module, self.index.classes)
        for call, statement, local in every.get(info.name, ()):
            if info.name in local or not isinstance(self.globals.get(info.name), ClassRef) \
                    or self.globals[info.name].info is not info:
                chosen = None
                break
            evaluated = self._construction_arguments(call, statement, local)
            if evaluated is None:
                chosen = None
                break
            if chosen is None:
                chosen = evaluated
            elif not _same_arguments(chosen, evaluated):
                chosen = None
                break
        if chosen is not None:
            result = chosen
        return result

    def _construction_arguments(self, call: ast.Call, statement: ast.stmt,
                                local: set) -> Optional[Tuple[List[Any], Dict[str, Any]]]:
        if any(type(arg) is ast.Starred for arg in call.args) or any(k.arg is None for k in call.keywords):
            return None
        args: List[Any] = []
        kwargs: Dict[str, Any] = {}
        for arg in call.args:
            args.append(self._construction_argument(arg, statement, local))
        for keyword in call.keywords:
            if keyword.arg in kwargs:
                return None
            kwargs[keyword.arg] = self._construction_argument(keyword.value, statement, local)
        return args, kwargs

    def _construction_argument(self, node: ast.expr, statement: ast.stmt, local: set) -> Any:
        if local and _mentions(node, local):
            return UNKNOWN
        saved = self.statement
        self.statement = statement  # the place of a layer built in an argument
        try:
            with self.silenced():
                return self.eval(node, Scope(self.globals))
        except (_Return, _Break, _Continue, _Abort, RecursionError):
            return UNKNOWN
        finally:
            self.statement = saved

    def base_init(self, module: UserModule, args: List[Any], kwargs: Dict[str, Any]) -> None:
        kind = module.cls.kind if module.cls is not None else "module"
        if kind == "sequential":
            self.fill_container(module, "Sequential", args)
        elif kind == "modulelist":
            self.fill_container(module, "ModuleList", args)
        elif kind == "moduledict":
            self.fill_container(module, "ModuleDict", args)

    # ----------------------------------------------------------------- module attributes

    def module_attribute(self, module: ModuleValue, name: str) -> Any:
        if name in module.children:
            return module.children[name]
        if isinstance(module, UserModule):
            if name in module.attrs:
                return module.attrs[name]
            value = self.class_attribute(module.cls, name)
            if isinstance(value, FunctionRef):
                return BoundMethod(module, value)
            if value is not UNKNOWN:
                return value
        if isinstance(module, LayerModule):
            spec = module.spec
            stored = spec.stored_attributes
            if stored is not None and name in module.params and name not in stored:
                return UNKNOWN  # a constructor argument the module does not keep as it is
            fallback = dict(spec.attribute_fallbacks).get(name)
            if fallback is not None:
                value = module.params[name]
                return module.params[fallback] if value is None else value
            if name in module.params:
                value = module.params[name]
                if name in spec.tuple_attributes:
                    n = spec.spatial_dims or 1
                    if isinstance(value, int) and not isinstance(value, bool):
                        return (value,) * n
                    if isinstance(value, list):
                        return tuple(value)
                return value
        if name in ("training",):
            return UNKNOWN
        if name == "forward":
            return MethodRef(module, "__call__")
        return MethodRef(module, name)

    def set_module_attribute(self, module: ModuleValue, name: str, value: Any) -> None:
        if not isinstance(module, UserModule):
            return
        if isinstance(value, ModuleValue):
            module.attrs.pop(name, None)
            module.children[name] = value
            if self.silent_writes is not None and self.silent:
                for _, sub in value.named_modules():
                    sub.uncertain = True
        elif value is None and name in module.children:
            module.children[name] = None  # type: ignore[assignment]
        else:
            module.children.pop(name, None)
            module.attrs[name] = value

    def module_method(self, module: ModuleValue, name: str, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        if name == "__base_init__":
            if isinstance(module, UserModule):
                self.base_init(module, args, kwargs)
            return None
        if name in ("__base_forward__", "__call__"):
            if name == "__base_forward__":
                return self.sequential_forward(module, args, kwargs, node)
            return self.call_module(module, args, kwargs, node)
        if name in ("add_module", "register_module") and len(args) == 2:
            key, value = args
            if isinstance(key, str) and (isinstance(value, ModuleValue) or value is None):
                module.children[key] = value  # type: ignore[assignment]
            else:
                module.incomplete = True
            return None
        if name == "append" and len(args) == 1 and isinstance(module, (ModuleListModule, SequentialModule, UserModule)):
            self._add_child(module, str(len(module.children)), args[0])
            return module
        if name == "extend" and len(args) == 1:
            items = iter_known(args[0])
            if items is None:
                module.incomplete = True
            else:
                for item in items:
                    self._add_child(module, str(len(module.children)), item)
            return module
        if name == "insert" and len(args) == 2 and isinstance(args[0], int):
            values = list(module.children.values())
            values.insert(args[0], args[1])
            module.children.clear()
            for value in values:
                self._add_child(module, str(len(module.children)), value)
            return None
        if name == "__setitem__" and len(args) == 2:
            key, value = args
            if isinstance(module, ModuleDictModule) and isinstance(key, str):
                self._add_child(module, key, value)
            elif isinstance(key, int) and not isinstance(key, bool):
                keys = list(module.children)
                if -len(keys) <= key < len(keys) and isinstance(value, ModuleValue):
                    module.children[keys[key]] = value
                else:
                    module.incomplete = True
            else:
                module.incomplete = True
            return None
        if name == "__slice__":
            index = args[0]
            items = list(module.children.items())[index]
            copy = type(module)(module.type_name, node=module.node, statement=module.statement)
            for i, (key, value) in enumerate(items):
                copy.children[key if isinstance(module, SequentialModule) else str(i)] = value
            return copy
        if name in ("register_buffer", "register_parameter") and len(args) >= 2 and isinstance(args[0], str):
            if isinstance(module, UserModule):
                module.attrs[args[0]] = args[1]
            return None
        if name == "modules":
            return [m for _, m in module.named_modules()]
        if name == "named_modules":
            return list(module.named_modules())
        if name == "children":
            return [m for m in module.children.values() if isinstance(m, ModuleValue)]
        if name == "named_children":
            return [(k, m) for k, m in module.children.items() if isinstance(m, ModuleValue)]
        if isinstance(module, ModuleDictModule):
            if name == "keys":
                return list(module.children.keys())
            if name == "values":
                return list(module.children.values())
            if name == "items":
                return list(module.children.items())
        if name in ("to", "cuda", "cpu", "eval", "train", "float", "double", "half", "requires_grad_",
                    "apply", "bfloat16", "type", "share_memory"):
            return module
        return UNKNOWN

    # ----------------------------------------------------------------- calling modules

    def call_module(self, module: ModuleValue, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        if module.uncertain:
            with self.silenced():
                result = self._call_module(module, args, kwargs, node)
            return Tensor(None) if isinstance(result, Tensor) else UNKNOWN
        return self._call_module(module, args, kwargs, node)

    def _call_module(self, module: ModuleValue, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        if isinstance(module, LayerModule):
            return self.call_layer(module, args, kwargs)
        if isinstance(module, SequentialModule):
            return self.sequential_forward(module, args, kwargs, node)
        if isinstance(module, UserModule):
            found = module.cls.find_method("forward") if module.cls is not None else None
            first = args[0] if args else next(iter(kwargs.values()), UNKNOWN)
            if found is None:
                if module.cls is not None and module.cls.kind == "sequential":
                    return self.sequential_forward(module, args, kwargs, node)
                module.record_call(shape_of(first), None)
                return UNKNOWN
            owner, forward = found
            with self.silenced(module.incomplete):
                result = self.call_function(FunctionRef(forward, owner), [module] + list(args), kwargs)
            return self._finish_container_call(module, first, result)
        if isinstance(module, OpaqueModule):
            first = args[0] if args else UNKNOWN
            module.record_call(shape_of(first), None)
            return UNKNOWN
        return UNKNOWN

    def sequential_forward(self, module: ModuleValue, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        x = args[0] if args else UNKNOWN
        current = x
        with self.silenced(module.incomplete):
            for child in module.children.values():
                if child is not None:
                    current = self.call_module(child, [current], {}, node)
        return self._finish_container_call(module, x, current)

    def _finish_container_call(self, module: ModuleValue, x: Any, result: Any) -> Any:
        """Record a container's call; what an incomplete container gives is not known."""
        if module.incomplete:
            result = Tensor(None) if isinstance(result, Tensor) else UNKNOWN
        module.record_call(shape_of(x), shape_of(result))
        self.check_declared(module, result, shape_of(x), {})
        return result

    @contextlib.contextmanager
    def silenced(self, when: bool = True):
        """Report nothing found while this runs (code that may not run as written)."""
        if when:
            self.silent += 1
        try:
            yield
        finally:
            if when:
                self.silent -= 1

    def _probe_input(self, module: LayerModule, x: Any) -> Any:
        """Give an undeclared model input the rank and channels its first layer expects."""
        if self.probe is None or x is not self.probe:
            return x
        spec = module.spec
        if spec.probes_input:
            channels = module.params.get(spec.channel_param) if spec.channel_param else None
            rank = spec.spatial_dims + 2
            shape = (None, channels if is_known(channels) else None) + (None,) * (rank - 2)
            probed = Tensor(shape)
            self.probe = probed
            return probed
        return x

    def call_layer(self, module: LayerModule, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        spec = module.spec
        x = args[0] if args else next((kwargs[k] for k in _INPUT_NAMES if k in kwargs), UNKNOWN)
        x = self._probe_input(module, x)
        forward_kwargs: Dict[str, Any] = {}
        for i, name in enumerate(spec.forward_params):
            value = kwargs.get(name, args[1 + i] if len(args) > 1 + i else None)
            if value is not None and name in spec.tensor_params:
                # A tensor argument: the rule gets its shape, UNKNOWN when that is not known.
                shape = shape_of(value) if isinstance(value, Tensor) else None
                forward_kwargs[name] = UNKNOWN if shape is None else shape
            elif value is not None:
                forward_kwargs[name] = _size_value(value)
        shape = shape_of(x)
        self._arriving = x if isinstance(x, Tensor) else None
        out, params = self.apply_layer(module, shape, forward_kwargs)
        if not module.called:
            self._add_submodules(module, shape, out)
        module.record_call(shape, out)
        if spec.indices_flag is not None and module.params.get(spec.indices_flag) is True:
            return (Tensor(out), Tensor(out))
        result = Tensor(out)
        structure = None
        if spec.results is not None:
            try:
                structure = spec.forward_results(params, shape, out, forward_kwargs)
            except Exception:  # noqa: BLE001 - odd evaluated values must not crash the analysis
                structure = UNKNOWN

        if isinstance(x, Tensor):
            fkw = dict(forward_kwargs)
            written = module.params
            self.step(module, x, result, lambda s: spec.infer(params, s, fkw), spec.name,
                      recompute_as_written=None if params is written else lambda s: spec.infer(written, s, fkw))
        else:
            self.step(module, x, result, None, spec.name)
        self.check_declared(module, result, shape, forward_kwargs)
        if structure is not None:
            return self._layer_results(module, x, structure, result)
        return result

    def _layer_results(self, module: LayerModule, x: Any, structure: Any, first: Tensor) -> Any:
        """The values of a forward that returns several (``out, (h, c) = self.lstm(x)``): its
        first tensor is ``first``; the others follow from the layer, not from one input shape."""
        used = [False]

        def build(item: Any) -> Any:
            if isinstance(item, TensorResult):
                if not used[0]:
                    used[0] = True
                    return first
                return self.step(module, x, Tensor(item.shape), None, module.spec.name)
            if isinstance(item, tuple):
                return tuple(build(part) for part in item)
            return UNKNOWN if item is not None else None

        return build(structure)

    def apply_layer(self, module: LayerModule, shape: MaybeShape, forward_kwargs: Dict[str, Any]):
        """The output shape and the parameters it was computed with (the fixed ones after an
        error whose fix is known, so that later layers are still checked)."""
        spec = module.spec
        try:
            return spec.infer(module.params, shape, forward_kwargs), module.params
        except ShapeError as error:
            self.report_layer(module, error, shape, forward_kwargs)
            if error.fix:
                fixed = {**module.params, **error.fix}
                try:
                    return spec.infer(fixed, shape, forward_kwargs), fixed
                except Exception:  # noqa: BLE001
                    return None, module.params
            return None, module.params
        except Exception:  # noqa: BLE001 - odd evaluated values must not crash the analysis
            return None, module.params

    def report_layer(self, module: LayerModule, error: ShapeError, shape: MaybeShape, forward_kwargs) -> None:
        if module.uncertain:
            return
        finding = Finding(error.code, error.message, module.node, module.statement, module, error,
                          shape, dict(forward_kwargs))
        if shape is not None:
            finding.tensor_in = getattr(self, "_arriving", None)
        self.report(finding)

    def check_declared(self, module: ModuleValue, result: Any, input_shape: MaybeShape, forward_kwargs) -> None:
        declared = module.declared_output
        if declared is None or not isinstance(result, Tensor) or self.silent:
            return
        problem = declared.spec.match(result.shape, {})
        if problem is None:
            return
        target = declared.spec.resolve({})
        message = (
            f"{module.type_name} produces {format_shape(result.shape)}, not the declared"
            f" {declared.spec.text} ({problem})"
        )
        self.report(Finding(SHAPE_MISMATCH, message, module.node, module.statement,
                            module if isinstance(module, LayerModule) else None, None,
                            input_shape, dict(forward_kwargs), target, tensor=result,
                            declared=declared))

    # ----------------------------------------------------------------- tensor operations

    def tensor_binary(self, op: type, left: Any, right: Any) -> Any:
        if op is ast.MatMult:
            return self.matmul(left, right)
        if isinstance(left, Tensor) and isinstance(right, Tensor):
            return self.broadcast_op(left, right, _OP_SYMBOL.get(op, "op"))
        tensor = left if isinstance(left, Tensor) else right
        other = right if tensor is left else left
        if isinstance(other, (int, float, bool)) or isinstance(other, Symbol):
            out = Tensor(tensor.shape)
            return self.step(None, tensor, out, lambda s: s, "scalar op")
        if other is UNKNOWN and tensor.shape is not None and 1 not in tensor.shape and None not in tensor.shape:
            return Tensor(tensor.shape)
        return Tensor(None)

    def broadcast_op(self, left: Tensor, right: Tensor, symbol: str) -> Tensor:
        if left.shape is None or right.shape is None:
            return Tensor(None)
        out = broadcast(left.shape, right.shape)
        if out is None:
            operands = []
            if len(left.shape) == len(right.shape):
                operands = [(left, right.shape), (right, left.shape)]
            self.report_statement(
                INCOMPATIBLE_SHAPES,
                f"'{symbol}' of tensors with incompatible shapes {format_shape(left.shape)} and"
                f" {format_shape(right.shape)}",
                operands,
            )
            return Tensor(None)
        result = Tensor(out)
        if left.shape == right.shape == tuple(out):
            # A residual sum (x + f(x)): follow the operand made first, the skip.
            skip = left if self._order(left) <= self._order(right) else right
            self.step(None, skip, result, lambda s: s, f"'{symbol}'", approximate=True)
        return result

    def matmul(self, left: Any, right: Any) -> Any:
        a, b = shape_of(left), shape_of(right)
        if a is None or b is None or len(a) < 1 or len(b) < 1:
            return Tensor(None)
        if len(a) == 1 and len(b) == 1:
            return Tensor(())
        inner_a = a[-1]
        inner_b = b[0] if len(b) == 1 else b[-2]
        if is_known(inner_a) and is_known(inner_b) and inner_a != inner_b:
            self.report_statement(
                INCOMPATIBLE_SHAPES,
                f"matrix product of {format_shape(a)} and {format_shape(b)}: inner sizes"
                f" {inner_a} and {inner_b} differ",
            )
            return Tensor(None)
        if len(b) == 1:
            return Tensor(tuple(a[:-1]))
        if len(a) == 1:
            return Tensor(tuple(b[:-2]) + (b[-1],))
        batch = broadcast(tuple(a[:-2]), tuple(b[:-2]))
        if batch is None:
            return Tensor(None)
        return Tensor(tuple(batch) + (a[-2], b[-1]))

    def run_rule(self, label: str, rule: Callable[[MaybeShape], MaybeShape], x: Any) -> Tensor:
        """Apply a core rule to a tensor: report what PyTorch would raise, record the step."""
        shape = shape_of(x)
        try:
            out = rule(shape)
        except ShapeError as error:
            self.report(Finding(error.code, f"{label}: {error.message}" if not error.message.startswith(label) else error.message,
                                None, self.statement))
            out = None
        except Exception:  # noqa: BLE001
            out = None
        result = Tensor(out)
        if isinstance(x, Tensor):
            self.step(None, x, result, rule, label)
        return result

    def functional(self, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        x = args[0] if args else kwargs.get("input", UNKNOWN)
        if name in _SHAPE_PRESERVING_FUNCTIONS:
            if not isinstance(x, Tensor):
                return Tensor(None)
            return self.run_rule(f"F.{name}", lambda s: s, x)
        if name in ("interpolate", "upsample", "upsample_bilinear", "upsample_nearest"):
            names = ("input", "size", "scale_factor", "mode", "align_corners")
            bound = _bind_simple(names, args, kwargs)
            size = _size_value(bound.get("size"))
            scale = _plain(bound.get("scale_factor"))
            mode = bound.get("mode", "nearest")
            align = bound.get("align_corners")
            if name == "upsample_bilinear":
                mode, align = "bilinear", True
            elif name == "upsample_nearest":
                mode = "nearest"
            mode = mode if isinstance(mode, str) else UNKNOWN
            return self.run_rule(f"F.{name}", lambda s: interpolate_shape(f"F.{name}", s, size, scale, mode, align), x)
        if name == "pad":
            bound = _bind_simple(("input", "pad", "mode", "value"), args, kwargs)
            pads = _plain(bound.get("pad"))
            mode = bound.get("mode", "constant")
            return self.run_rule("F.pad", lambda s: _pad_shape(s, pads, mode), x)
        spec = _FUNCTIONAL_LAYERS.get(name)
        if spec is not None:
            bound = _bind_simple(("input",) + spec.functional_params, args, kwargs)
            values = {p.name: p.default for p in spec.params}
            values.update({k: _plain(v) for k, v in bound.items() if k != "input"})
            result = self.run_rule(f"F.{name}", lambda s: spec.infer(values, s), x)
            if spec.indices_flag is not None and bound.get(spec.indices_flag) is True:
                return (result, Tensor(result.shape))
            return result
        if name in ("pixel_shuffle", "pixel_unshuffle"):
            layer = "PixelShuffle" if name == "pixel_shuffle" else "PixelUnshuffle"
            spec = LAYERS[layer]
            factor = _plain(args[1] if len(args) > 1 else next(iter(v for k, v in kwargs.items() if k != "input"), UNKNOWN))
            values = {spec.params[0].name: factor}
            return self.run_rule(f"F.{name}", lambda s: spec.infer(values, s), x)
        if name == "glu":
            dim = _plain(args[1] if len(args) > 1 else kwargs.get("dim", -1))
            return self.run_rule("F.glu", lambda s: LAYERS["GLU"].infer({"dim": dim}, s), x)
        if name == "linear":
            weight = args[1] if len(args) > 1 else kwargs.get("weight")
            w = shape_of(weight)
            s = shape_of(x)
            if s is None or w is None or len(w) != 2:
                return Tensor(None)
            return Tensor(tuple(s[:-1]) + (w[0],))
        if name in ("flatten",):
            return self.tensor_method(x, "flatten", args[1:], kwargs) if isinstance(x, Tensor) else Tensor(None)
        return UNKNOWN

    def torch_function(self, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        if name in _CREATION:
            return self.create(name, args, kwargs)
        if name in _CREATION_LIKE:
            return Tensor(shape_of(args[0])) if args else Tensor(None)
        if name == "tensor" or name == "as_tensor" or name == "from_numpy":
            return Tensor(None)
        if name == "arange":
            numbers = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
            if len(numbers) == len(args) and 1 <= len(args) <= 3 and all(isinstance(a, int) for a in args):
                try:
                    return Tensor((len(range(*args)),))
                except ValueError:
                    return Tensor(None)
            return Tensor(None)
        if name == "Size":
            return tuple(args[0]) if args and isinstance(args[0], (tuple, list)) else UNKNOWN
        if name in ("cat", "concat", "concatenate"):
            return self.concatenate(args, kwargs, stack=False)
        if name == "stack":
            return self.concatenate(args, kwargs, stack=True)
        if name in ("matmul", "mm", "bmm"):
            return self.matmul(args[0] if args else UNKNOWN, args[1] if len(args) > 1 else UNKNOWN)
        if name in _BROADCASTING and len(args) >= 2:
            a, b = args[0], args[1]
            if isinstance(a, Tensor) and isinstance(b, Tensor):
                return self.broadcast_op(a, b, f"torch.{name}")
            if isinstance(a, Tensor) or isinstance(b, Tensor):
                return self.tensor_binary(ast.Add, a, b)
            return UNKNOWN
        if name == "where" and len(args) == 3:
            shapes = [shape_of(a) for a in args if isinstance(a, Tensor)]
            if len(shapes) == 3 and all(s is not None for s in shapes):
                first = broadcast(shapes[0], shapes[1])
                out = broadcast(first, shapes[2]) if first is not None else None
                return Tensor(out)
            return Tensor(None)
        if args and isinstance(args[0], Tensor):
            return self.tensor_method(args[0], name, args[1:], kwargs)
        return UNKNOWN

    def create(self, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        if name == "randint":
            size = kwargs.get("size", args[-1] if args else UNKNOWN)
            sizes = list(size) if isinstance(size, (tuple, list)) else None
        elif name == "full":
            size = kwargs.get("size", args[0] if args else UNKNOWN)
            sizes = list(size) if isinstance(size, (tuple, list)) else None
        elif name == "normal":
            return Tensor(None)
        else:
            if "size" in kwargs:
                size = kwargs["size"]
                sizes = list(size) if isinstance(size, (tuple, list)) else None
            else:
                sizes = _as_size_list(args)
        if sizes is None:
            return Tensor(None)
        dims = []
        for s in sizes:
            if isinstance(s, bool):
                return Tensor(None)
            if isinstance(s, int) or isinstance(s, Symbol):
                dims.append(value_dim(s))
            else:
                dims.append(None)
        return Tensor(tuple(dims))

    def concatenate(self, args: List[Any], kwargs: Dict[str, Any], stack: bool) -> Any:
        tensors = args[0] if args else kwargs.get("tensors", UNKNOWN)
        dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
        items = iter_known(tensors) if not isinstance(tensors, Tensor) else None
        what = "torch.stack" if stack else "torch.cat"
        if not items or not isinstance(dim, int) or isinstance(dim, bool):
            return Tensor(None)
        shapes = [shape_of(t) for t in items]
        if any(s is None for s in shapes) or not all(isinstance(t, Tensor) for t in items):
            return Tensor(None)
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            self.report_statement(
                INCOMPATIBLE_SHAPES,
                f"{what} of tensors with different numbers of dims: "
                + ", ".join(format_shape(s) for s in shapes),
            )
            return Tensor(None)
        if stack:
            for s in shapes[1:]:
                for i, (a, b) in enumerate(zip(shapes[0], s)):
                    if is_known(a) and is_known(b) and a != b:
                        self.report_statement(
                            INCOMPATIBLE_SHAPES,
                            f"{what} needs equal shapes, got {format_shape(shapes[0])} and"
                            f" {format_shape(s)} (dim {i})",
                        )
                        return Tensor(None)
            index = normalize_dim_index(dim, rank + 1)
            if index is None:
                return Tensor(None)
            merged = tuple(_first_known([s[i] for s in shapes]) for i in range(rank))
            return Tensor(merged[:index] + (len(shapes),) + merged[index:])
        index = normalize_dim_index(dim, max(rank, 1))
        if index is None:
            return Tensor(None)
        out: List[Any] = []
        for i in range(rank):
            column = [s[i] for s in shapes]
            if i == index:
                out.append(sum(column) if all(is_known(c) for c in column) else None)
                continue
            known = [c for c in column if is_known(c)]
            if known and any(c != known[0] for c in known):
                operands = []
                if len(items) == 2:
                    for a, b in ((items[1], shapes[0]), (items[0], shapes[1])):
                        operands.append((a, tuple(None if j == index else d for j, d in enumerate(b))))
                self.report_statement(
                    INCOMPATIBLE_SHAPES,
                    f"{what} along dim {dim}: sizes differ at dim {i} ("
                    + ", ".join(format_shape(s) for s in shapes) + ")",
                    operands,
                )
                return Tensor(None)
            out.append(_first_known(column))
        return Tensor(tuple(out))

    def tensor_method(self, tensor: Tensor, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        shape = tensor.shape
        if name == "__attr__":
            attr = args[0]
            if attr == "shape":
                return tuple(dim_value(d) for d in shape) if shape is not None else UNKNOWN
            if attr == "ndim":
                return len(shape) if shape is not None else UNKNOWN
            if attr in ("T", "mT"):
                if shape is None:
                    return Tensor(None)
                if attr == "T":
                    return Tensor(tuple(reversed(shape)))
                return Tensor(tuple(shape[:-2]) + (shape[-1], shape[-2])) if len(shape) >= 2 else Tensor(None)
            if attr == "data":
                return tensor
            if attr in ("dtype", "device", "requires_grad", "is_cuda", "grad"):
                return UNKNOWN
            return MethodRef(tensor, attr)
        if name == "__getitem__":
            index = args[0]
            if isinstance(index, list) or isinstance(index, Tensor):
                return Tensor(None)
            return self.run_rule("indexing", lambda s: _index_shape(s, index), tensor)
        if name == "size":
            if shape is None:
                return UNKNOWN
            if not args and "dim" not in kwargs:
                return tuple(dim_value(d) for d in shape)
            dim = args[0] if args else kwargs["dim"]
            if not isinstance(dim, int) or isinstance(dim, bool):
                return UNKNOWN
            index = normalize_dim_index(dim, len(shape))
            return UNKNOWN if index is None else dim_value(shape[index])
        if name in ("dim", "ndimension"):
            return len(shape) if shape is not None else UNKNOWN
        if name == "numel":
            if shape is not None and all(is_known(d) for d in shape):
                return math.prod(shape)
            return UNKNOWN
        if name in ("view", "reshape"):
            sizes = _as_size_list(args)
            if sizes is None or any(isinstance(s, Tensor) for s in sizes):
                return Tensor(None)
            return self.run_rule(f".{name}", lambda s: _view_shape(s, sizes), tensor)
        if name in ("view_as", "reshape_as", "expand_as"):
            return Tensor(shape_of(args[0]) if args else None)
        if name == "flatten":
            start = args[0] if args else kwargs.get("start_dim", 0)
            end = args[1] if len(args) > 1 else kwargs.get("end_dim", -1)
            return self.run_rule("flatten", lambda s: flatten_shape("flatten", s, _plain(start), _plain(end)), tensor)
        if name == "unflatten":
            dim = args[0] if args else kwargs.get("dim")
            sizes = args[1] if len(args) > 1 else kwargs.get("sizes")
            return self.run_rule(
                "unflatten", lambda s: LAYERS["Unflatten"].infer({"dim": _plain(dim), "unflattened_size": _size_value(sizes)}, s), tensor
            )
        if name == "permute":
            dims = _as_size_list(args) if args else kwargs.get("dims")
            return self.run_rule("permute", lambda s: _permute(s, dims), tensor)
        if name in ("transpose", "swapaxes", "swapdims"):
            if len(args) == 2:
                return self.run_rule(name, lambda s: _transpose(s, args[0], args[1]), tensor)
            return Tensor(None)
        if name == "t":
            return self.run_rule("t", lambda s: tuple(reversed(s)) if s is not None and len(s) <= 2 else None, tensor)
        if name == "unsqueeze":
            dim = args[0] if args else kwargs.get("dim")
            return self.run_rule("unsqueeze", lambda s: _unsqueeze(s, dim), tensor)
        if name == "squeeze":
            dim = args[0] if args else kwargs.get("dim", None)
            return self.run_rule("squeeze", lambda s: _squeeze(s, dim), tensor)
        if name in _REDUCTIONS or name in ("max", "min"):
            dim = args[0] if args else kwargs.get("dim", None)
            keepdim = args[1] if len(args) > 1 else kwargs.get("keepdim", False)
            if name == "norm":
                dim = args[1] if len(args) > 1 else kwargs.get("dim", None)
                keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
            if isinstance(dim, Tensor):
                return self.broadcast_op(tensor, dim, name)
            out = Tensor(_reduce(shape, _plain(dim), keepdim))
            if name in ("max", "min", "median") and dim is not None:
                return (out, Tensor(out.shape))
            return out
        if name in ("chunk", "split", "unbind"):
            return _pieces(shape, name, args, kwargs)
        if name in ("expand", "repeat"):
            sizes = _as_size_list(args)
            if sizes is None or shape is None:
                return Tensor(None)
            if name == "expand":
                if len(sizes) < len(shape):
                    return Tensor(None)
                offset = len(sizes) - len(shape)
                out = []
                for i, s in enumerate(sizes):
                    if s == -1 and i >= offset:
                        out.append(shape[i - offset])
                    else:
                        out.append(value_dim(s))
                return Tensor(tuple(out))
            if len(sizes) < len(shape):
                return Tensor(None)
            padded = (1,) * (len(sizes) - len(shape)) + tuple(shape)
            return Tensor(tuple(
                d * value_dim(s) if is_known(d) and is_known(value_dim(s)) else None
                for d, s in zip(padded, sizes)
            ))
        if name in ("softmax", "log_softmax") or name in _SHAPE_PRESERVING_FUNCTIONS:
            if name in _BROADCASTING and args:
                other = args[0]
                if isinstance(other, Tensor):
                    return self.broadcast_op(tensor, other, name)
            return self.run_rule(f".{name}", lambda s: s, tensor)
        if name in _BROADCASTING and args:
            other = args[0]
            if isinstance(other, Tensor):
                return self.broadcast_op(tensor, other, name)
            return Tensor(shape)
        if name in ("matmul", "mm", "bmm"):
            return self.matmul(tensor, args[0] if args else UNKNOWN)
        if name in ("new_zeros", "new_ones", "new_empty", "new_full"):
            return self.create("zeros", args[:1] if name == "new_full" else args, {})
        if name in ("item", "tolist"):
            return UNKNOWN
        return UNKNOWN


_OP_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
              ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}

#: ``torch.nn.functional`` functions with the shape rule of a layer (``max_pool2d``).
_FUNCTIONAL_LAYERS = {spec.functional: spec for spec in LAYERS.values() if spec.functional}


def _required_parameters(init: ast.FunctionDef) -> bool:
    """Whether ``__init__`` has a parameter (after ``self``) that needs an argument."""
    arguments = init.args
    params = list(arguments.posonlyargs) + list(arguments.args)
    # Defaults belong to the last parameters: the first ``len(params) - len(defaults)`` need one.
    if len(params) - len(arguments.defaults) > 1:
        return True
    return any(default is None for default in arguments.kw_defaults)


def _mentions(node: ast.AST, names: set) -> bool:
    for child in ast.walk(node):
        if type(child) is ast.Name and child.id in names:
            return True
    return False


def _same_arguments(a: Tuple[List[Any], Dict[str, Any]], b: Tuple[List[Any], Dict[str, Any]]) -> bool:
    if len(a[0]) != len(b[0]) or set(a[1]) != set(b[1]):
        return False
    pairs = list(zip(a[0], b[0])) + [(a[1][k], b[1][k]) for k in a[1]]
    return all(_same_value(x, y) for x, y in pairs)


def _same_value(x: Any, y: Any) -> bool:
    if x is y:
        return True
    if isinstance(x, (list, tuple)) and type(x) is type(y) and len(x) == len(y):
        return all(_same_value(p, q) for p, q in zip(x, y))
    if isinstance(x, (int, float, str, bool, type(None))) and type(x) is type(y):
        return x == y
    if isinstance(x, ClassRef) and isinstance(y, ClassRef):
        return x.info is y.info
    if isinstance(x, (TorchRef, ExternalRef)) and type(x) is type(y):
        return x == y
    if isinstance(x, FunctionRef) and isinstance(y, FunctionRef):
        return x.node is y.node
    return False


def _bind_simple(names: Sequence[str], args: List[Any], kwargs: Dict[str, Any]) -> Dict[str, Any]:
    bound = dict(zip(names, args))
    for key, value in kwargs.items():
        if key in names:
            bound[key] = value
    return bound


def _size_value(value: Any) -> Any:
    """A size argument (``output_size=x.size()``, ``size=(h, w)``) as the core takes it."""
    if isinstance(value, (tuple, list)):
        return tuple(value_dim(v) for v in value)
    if isinstance(value, Symbol):
        return None
    return _plain(value)


def _first_known(column: Sequence[Any]) -> Any:
    for c in column:
        if is_known(c):
            return c
    for c in column:
        if c is not None:
            return c
    return None


def _permute(shape: MaybeShape, dims: Any) -> MaybeShape:
    if shape is None or not isinstance(dims, (list, tuple)) or len(dims) != len(shape):
        return None
    indices = []
    for d in dims:
        if not isinstance(d, int) or isinstance(d, bool):
            return None
        index = normalize_dim_index(d, len(shape))
        if index is None:
            return None
        indices.append(index)
    if sorted(indices) != list(range(len(shape))):
        return None
    return tuple(shape[i] for i in indices)


def _transpose(shape: MaybeShape, a: Any, b: Any) -> MaybeShape:
    if shape is None or not all(isinstance(d, int) and not isinstance(d, bool) for d in (a, b)):
        return None
    i, j = normalize_dim_index(a, len(shape)), normalize_dim_index(b, len(shape))
    if i is None or j is None:
        return None
    out = list(shape)
    out[i], out[j] = out[j], out[i]
    return tuple(out)


def _unsqueeze(shape: MaybeShape, dim: Any) -> MaybeShape:
    if shape is None or not isinstance(dim, int) or isinstance(dim, bool):
        return None
    index = normalize_dim_index(dim, len(shape) + 1)
    if index is None:
        return None
    return tuple(shape[:index]) + (1,) + tuple(shape[index:])


def _squeeze(shape: MaybeShape, dim: Any) -> MaybeShape:
    if shape is None:
        return None
    if dim is None:
        if any(not is_known(d) for d in shape):
            return None
        return tuple(d for d in shape if d != 1)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    indices = set()
    for d in dims:
        if not isinstance(d, int) or isinstance(d, bool):
            return None
        index = normalize_dim_index(d, max(len(shape), 1))
        if index is None:
            return None
        indices.add(index)
    out = []
    for i, d in enumerate(shape):
        if i in indices:
            if d == 1:
                continue
            if not is_known(d):
                return None
        out.append(d)
    return tuple(out)


def _pad_shape(shape: MaybeShape, pads: Any, mode: Any) -> MaybeShape:
    if shape is None or not isinstance(pads, (tuple, list)) or len(pads) % 2:
        return None
    n = len(pads) // 2
    if n > len(shape):
        return None
    if mode in ("reflect", "replicate", "circular") and 1 <= n <= 3 and len(shape) in (n + 1, n + 2):
        layer = {"reflect": "ReflectionPad", "replicate": "ReplicationPad", "circular": "CircularPad"}[mode]
        return LAYERS[f"{layer}{n}d"].infer({"padding": tuple(pads)}, shape)
    if mode != "constant":
        return None
    if 1 <= n <= 3 and len(shape) in (n + 1, n + 2):
        return LAYERS[f"ZeroPad{n}d"].infer({"padding": tuple(pads)}, shape)
    # Constant padding of more dims than a padding layer covers: the same per-dim rule.
    out = list(shape)
    for i in range(n):
        axis = len(shape) - 1 - i
        before, after = pads[2 * i], pads[2 * i + 1]
        if is_known(out[axis]) and is_known(before) and is_known(after):
            out[axis] = out[axis] + before + after
        else:
            out[axis] = None
    return tuple(out)
