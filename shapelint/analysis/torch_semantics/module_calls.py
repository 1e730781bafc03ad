"""Calling a module: a layer of the table, a container, a user module or an opaque one.

``MODULE_CALLS`` maps each kind of module value to its handler,
``(propagator, module, args, kwargs, node) -> value``; another kind gives an unknown value.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple

from ...core.codes import NON_POSITIVE_SIZE, ShapeError
from ...core.layers import UNKNOWN, TensorResult
from ...core.shapes import MaybeShape, is_symbolic
from ..values import (
    FunctionRef,
    LayerModule,
    ModuleValue,
    OpaqueModule,
    SequentialModule,
    Tensor,
    UserModule,
)
from .registry import Args, Kwargs
from .shape_ops import shape_of, size_value

if TYPE_CHECKING:
    from ..propagate import Propagator

ModuleCall = Callable[["Propagator", Any, List[Any], Dict[str, Any], Any], Any]

#: Names of a layer's first forward argument, when it is passed by keyword.
_INPUT_NAMES = ("input", "query", "src", "tgt")
#: Layer parameters no shape rule reads: not knowing one leaves the sizes a model takes known.
_SHAPE_FREE_PARAMS = frozenset({
    "bias", "device", "dtype", "inplace", "eps", "momentum", "affine", "track_running_stats",
    "elementwise_affine", "negative_slope", "p", "alpha", "beta", "threshold", "value", "lambd",
    "min_val", "max_val", "approximate", "dropout", "init",
})


# ----------------------------------------------------------------------------- layers


def call_layer(p: Propagator, module: LayerModule, args: Args, kwargs: Kwargs, node) -> Any:
    """A layer's forward: its rule gives the output; findings where torch would raise."""
    spec = module.spec
    x = args[0] if args else next((kwargs[k] for k in _INPUT_NAMES if k in kwargs), UNKNOWN)
    x = _probe_input(p, module, x)
    forward_kwargs = _forward_arguments(module, args, kwargs)
    shape = shape_of(x)
    out, params = apply_layer(p, module, shape, forward_kwargs, x if isinstance(x, Tensor) else None)
    if not module.called:
        add_submodules(module, shape, out)
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
    _record_step(p, module, x, result, params, forward_kwargs)
    p.check_declared(module, result, shape)
    if structure is not None:
        return _layer_results(p, module, x, structure, result)
    return result


def _probe_input(p: Propagator, module: LayerModule, x: Any) -> Any:
    """An undeclared model input meets its first layer: it takes the rank and channels that
    layer takes, its other sizes names (``probe.Probe``)."""
    if p.probe is None:
        return x
    spec = module.spec
    channels = module.params.get(spec.channel_param) if spec.channel_param else None
    return p.probe.meet(x, spec.probe_ranks, spec.spatial_dims, spec.channel_param, channels)


def _forward_arguments(module: LayerModule, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    """The extra ``forward`` arguments given, as the layer's rule takes them."""
    spec = module.spec
    forward_kwargs: Dict[str, Any] = {}
    for i, name in enumerate(spec.forward_params):
        value = kwargs.get(name, args[1 + i] if len(args) > 1 + i else None)
        if value is not None and name in spec.tensor_params:
            # A tensor argument: the rule gets its shape, UNKNOWN when that is not known.
            shape = shape_of(value) if isinstance(value, Tensor) else None
            forward_kwargs[name] = UNKNOWN if shape is None else shape
        elif value is not None:
            forward_kwargs[name] = size_value(value)
    return forward_kwargs


def apply_layer(p: Propagator, module: LayerModule, shape: MaybeShape, forward_kwargs: Dict[str, Any],
                arriving: Optional[Tensor]) -> Tuple[MaybeShape, Dict[str, Any]]:
    """The output shape and the parameters it was computed with (the fixed ones after an
    error whose fix is known, so that later layers are still checked)."""
    spec = module.spec
    accepts = p.accepts
    if accepts is not None and shape is not None and any(is_symbolic(d) for d in shape) \
            and any(v is UNKNOWN for k, v in module.params.items() if k not in _SHAPE_FREE_PARAMS):
        accepts.append(None)  # a check of a parameter not known: the sizes it takes are not known
    try:
        with p.needing(NON_POSITIVE_SIZE, module.node, module.statement):
            return spec.infer(module.params, shape, forward_kwargs, accepts), module.params
    except ShapeError as error:
        p.report_layer(module, error, shape, arriving)
        if error.fix:
            fixed = {**module.params, **error.fix}
            try:
                return spec.infer(fixed, shape, forward_kwargs), fixed
            except Exception:  # noqa: BLE001
                return None, module.params
        return None, module.params
    except Exception:  # noqa: BLE001 - odd evaluated values must not crash the analysis
        return None, module.params


def _record_step(p: Propagator, module: LayerModule, x: Any, result: Tensor, params: Dict[str, Any],
                 forward_kwargs: Dict[str, Any]) -> None:
    """The step that made ``result``: recomputable with the parameters used, and as written."""
    spec = module.spec
    if not isinstance(x, Tensor):
        p.step(module, x, result, None, spec.name)
        return
    fkw = dict(forward_kwargs)
    written = module.params
    p.step(module, x, result, lambda s: spec.infer(params, s, fkw), spec.name,
           recompute_as_written=None if params is written else lambda s: spec.infer(written, s, fkw))


def _layer_results(p: Propagator, module: LayerModule, x: Any, structure: Any, first: Tensor) -> Any:
    """The values of a forward that returns several (``out, (h, c) = self.lstm(x)``): its
    first tensor is ``first``; the others follow from the layer, not from one input shape."""
    used = [False]

    def build(item: Any) -> Any:
        if isinstance(item, TensorResult):
            if not used[0]:
                used[0] = True
                return first
            return p.step(module, x, Tensor(item.shape), None, module.spec.name)
        if isinstance(item, tuple):
            return tuple(build(part) for part in item)
        return UNKNOWN if item is not None else None

    return build(structure)


def add_submodules(module: LayerModule, x: MaybeShape, out: MaybeShape) -> None:
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
                child = OpaqueModule(sub.type_name, node=module.node, statement=module.statement,
                                     elsewhere=module.elsewhere)
                parent.children[sub.name] = child
            if sub.called:
                child.record_call(sub.input, sub.output)
            add(child, sub.children)

    add(module, subs)


# ----------------------------------------------------------------------------- containers and user modules


def sequential_forward(p: Propagator, module: ModuleValue, args: Args, kwargs: Kwargs, node) -> Any:
    """Each child on the output of the one before."""
    x = args[0] if args else UNKNOWN
    current = x
    with p.silenced(module.incomplete):
        for child in module.children.values():
            if child is not None:
                current = p.call_module(child, [current], {}, node)
    return _finish_container_call(p, module, x, current)


def _call_user_module(p: Propagator, module: UserModule, args: Args, kwargs: Kwargs, node) -> Any:
    """The user class's ``forward`` (or nn.Sequential's, for a subclass that has none)."""
    found = module.cls.find_method("forward") if module.cls is not None else None
    first = args[0] if args else next(iter(kwargs.values()), UNKNOWN)
    if found is None:
        if module.cls is not None and module.cls.kind == "sequential":
            return sequential_forward(p, module, args, kwargs, node)
        if module.cls is not None and module.cls.kind == "layer":
            return _call_layer_subclass(p, module, first, args, kwargs, node)
        module.record_call(shape_of(first), None)
        return UNKNOWN
    owner, forward = found
    with p.silenced(module.incomplete):
        result = p.call_function(FunctionRef(forward, owner), [module] + list(args), kwargs)
    return _finish_container_call(p, module, first, result)


def _call_layer_subclass(p: Propagator, module: UserModule, first: Any, args: Args, kwargs: Kwargs, node) -> Any:
    """A subclass of a torch layer without a ``forward`` of its own: the layer's."""
    if module.base_layer is None:
        module.record_call(shape_of(first), None)
        p.note_unknown_module(module)
        return Tensor(None) if isinstance(first, Tensor) else UNKNOWN
    result = p.call_module(module.base_layer, args, kwargs, node)
    module.record_call(shape_of(first), shape_of(result))
    p.check_declared(module, result, shape_of(first))
    return result


def _finish_container_call(p: Propagator, module: ModuleValue, x: Any, result: Any) -> Any:
    """Record a container's call; what an incomplete container gives is not known."""
    if module.incomplete:
        result = Tensor(None) if isinstance(result, Tensor) else UNKNOWN
        declared = module.declared_output.spec.resolve({}) if module.declared_output is not None else None
        if declared is not None:
            result = Tensor(declared)  # the user's word for what could not be followed
        else:
            p.note_unknown_module(module)
    module.record_call(shape_of(x), shape_of(result))
    p.check_declared(module, result, shape_of(x))
    return result


def _call_opaque(p: Propagator, module: OpaqueModule, args: Args, kwargs: Kwargs, node) -> Any:
    """A module the analysis does not know: its input is recorded, its output unknown (or as a
    pragma on its constructor declares it: the user's word is what the analysis goes on with)."""
    x = args[0] if args else UNKNOWN
    declared = module.declared_output
    if declared is not None:
        shape = declared.spec.resolve({})
        if shape is not None:
            result = Tensor(shape)
            module.record_call(shape_of(x), result.shape)
            return p.step(module, x, result, None, module.type_name)
    module.record_call(shape_of(x), None)
    p.note_unknown_module(module)
    return UNKNOWN


#: By the exact class of the module value (ModuleList and ModuleDict are not callable).
MODULE_CALLS: Mapping[type, ModuleCall] = MappingProxyType({
    LayerModule: call_layer,
    SequentialModule: sequential_forward,
    UserModule: _call_user_module,
    OpaqueModule: _call_opaque,
})
