"""``torch.X(...)`` and ``torch.nn.functional.X(...)``, by name.

A handler is ``(propagator, name, args, kwargs) -> value``. A ``torch.X`` with no handler is
the tensor method of its first argument (``torch.flatten(x, 1)`` is ``x.flatten(1)``); an
``F.X`` with no handler gives an unknown value.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping

from ...core.layers import LAYERS, UNKNOWN, interpolate_shape
from ...core.shapes import broadcast
from ..values import ModuleValue, Tensor
from .operations import broadcast_op, concatenate, matmul, run_rule
from .registry import Args, Kwargs, registry
from .shape_ops import bind_simple, creation_shape, pad_shape, plain, same_shape, shape_of, size_value
from .tensor_methods import BROADCASTING, SHAPE_PRESERVING

if TYPE_CHECKING:
    from ..propagate import Propagator

Function = Callable[["Propagator", str, List[Any], Dict[str, Any]], Any]


def call_torch(p: Propagator, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """A call of the torch function or class ``name`` (fully qualified)."""
    if name.startswith("torch.nn.modules"):
        name = "torch.nn." + name.rsplit(".", 1)[-1]
    if name.startswith("torch.nn.functional."):
        return functional(p, name[len("torch.nn.functional."):], args, kwargs)
    if name.startswith("torch.nn.init.") or name.startswith("torch.nn.utils.") and not name.endswith("_norm"):
        return UNKNOWN
    if name.startswith("torch.nn.utils."):
        # spectral_norm / weight_norm return the module they are given
        return args[0] if args and isinstance(args[0], ModuleValue) else UNKNOWN
    if name.startswith("torch.nn.") and name.count(".") == 2:
        return p.construct(name[len("torch.nn."):], args, kwargs, node)
    if name.startswith("torch.") and name.count(".") == 1:
        return torch_function(p, name[len("torch."):], args, kwargs)
    return UNKNOWN


def functional(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    handler = FUNCTIONALS.get(name)
    return UNKNOWN if handler is None else handler(p, name, args, kwargs)


def torch_function(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    return TORCH_FUNCTIONS.get(name, _as_tensor_method)(p, name, args, kwargs)


# ----------------------------------------------------------------------------- torch.X


def _as_tensor_method(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    if args and isinstance(args[0], Tensor):
        return p.tensor_method(args[0], name, args[1:], kwargs)
    return UNKNOWN


def _create(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    return Tensor(creation_shape(name, args, kwargs))


def _create_like(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    return Tensor(shape_of(args[0])) if args else Tensor(None)


def _from_data(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    return Tensor(None)


def _arange(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    numbers = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
    if len(numbers) == len(args) and 1 <= len(args) <= 3 and all(isinstance(a, int) for a in args):
        try:
            return Tensor((len(range(*args)),))
        except ValueError:
            return Tensor(None)
    return Tensor(None)


def _size(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    return tuple(args[0]) if args and isinstance(args[0], (tuple, list)) else UNKNOWN


def _cat(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    return concatenate(p, args, kwargs, stack=False)


def _stack(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    return concatenate(p, args, kwargs, stack=True)


def _matmul(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    return matmul(p, args[0] if args else UNKNOWN, args[1] if len(args) > 1 else UNKNOWN)


def _binary(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    if len(args) < 2:
        return _as_tensor_method(p, name, args, kwargs)
    a, b = args[0], args[1]
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return broadcast_op(p, a, b, f"torch.{name}")
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return p.tensor_binary(ast.Add, a, b)
    return UNKNOWN


def _where(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    if len(args) != 3:
        return _as_tensor_method(p, name, args, kwargs)
    shapes = [shape_of(a) for a in args if isinstance(a, Tensor)]
    if len(shapes) == 3 and all(s is not None for s in shapes):
        first = broadcast(shapes[0], shapes[1])
        return Tensor(broadcast(first, shapes[2]) if first is not None else None)
    return Tensor(None)


TORCH_FUNCTIONS: Mapping[str, Function] = registry(
    (("randn", "rand", "zeros", "ones", "empty", "randint", "full", "normal"), _create),
    (("zeros_like", "ones_like", "randn_like", "rand_like", "empty_like", "full_like", "randint_like"),
     _create_like),
    (("tensor", "as_tensor", "from_numpy"), _from_data),
    (("arange",), _arange),
    (("Size",), _size),
    (("cat", "concat", "concatenate"), _cat),
    (("stack",), _stack),
    (("matmul", "mm", "bmm"), _matmul),
    (BROADCASTING, _binary),
    (("where",), _where),
)


# ----------------------------------------------------------------------------- F.X


def _input(args: Args, kwargs: Kwargs) -> Any:
    return args[0] if args else kwargs.get("input", UNKNOWN)


def _f_elementwise(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    x = _input(args, kwargs)
    if not isinstance(x, Tensor):
        return Tensor(None)
    return run_rule(p, f"F.{name}", same_shape, x)


def _f_interpolate(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    bound = bind_simple(("input", "size", "scale_factor", "mode", "align_corners"), args, kwargs)
    size = size_value(bound.get("size"))
    scale = plain(bound.get("scale_factor"))
    mode = bound.get("mode", "nearest")
    align = bound.get("align_corners")
    if name == "upsample_bilinear":
        mode, align = "bilinear", True
    elif name == "upsample_nearest":
        mode = "nearest"
    mode = mode if isinstance(mode, str) else UNKNOWN
    label = f"F.{name}"
    return run_rule(p, label, lambda s, accepts=None: interpolate_shape(label, s, size, scale, mode, align,
                                                                        accepts=accepts),
                    _input(args, kwargs), collects=True)


def _f_pad(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    bound = bind_simple(("input", "pad", "mode", "value"), args, kwargs)
    pads = plain(bound.get("pad"))
    mode = bound.get("mode", "constant")
    return run_rule(p, "F.pad", lambda s, accepts=None: pad_shape(s, pads, mode, accepts), _input(args, kwargs),
                    collects=True)


#: ``F.max_pool2d`` and the other functionals of a layer of the table.
_FUNCTIONAL_LAYERS = {spec.functional: spec for spec in LAYERS.values() if spec.functional}


def _f_layer(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    """The functional of a layer: the layer's rule with the functional's arguments."""
    spec = _FUNCTIONAL_LAYERS[name]
    bound = bind_simple(("input",) + spec.functional_params, args, kwargs)
    values = {param.name: param.default for param in spec.params}
    values.update({k: plain(v) for k, v in bound.items() if k != "input"})
    result = run_rule(p, f"F.{name}", lambda s, accepts=None: spec.infer(values, s, None, accepts),
                      _input(args, kwargs), collects=True)
    if spec.indices_flag is not None and bound.get(spec.indices_flag) is True:
        return (result, Tensor(result.shape))
    return result


def _f_pixel_shuffle(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    spec = LAYERS["PixelShuffle" if name == "pixel_shuffle" else "PixelUnshuffle"]
    given = args[1] if len(args) > 1 else next(iter(v for k, v in kwargs.items() if k != "input"), UNKNOWN)
    factor = plain(given)
    values = {spec.params[0].name: factor}
    return run_rule(p, f"F.{name}", lambda s, accepts=None: spec.infer(values, s, None, accepts),
                    _input(args, kwargs), collects=True)


def _f_glu(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    dim = plain(args[1] if len(args) > 1 else kwargs.get("dim", -1))
    return run_rule(p, "F.glu", lambda s: LAYERS["GLU"].infer({"dim": dim}, s), _input(args, kwargs))


def _f_linear(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    w = shape_of(args[1] if len(args) > 1 else kwargs.get("weight"))
    s = shape_of(_input(args, kwargs))
    if s is None or w is None or len(w) != 2:
        return Tensor(None)
    return Tensor(tuple(s[:-1]) + (w[0],))


def _f_flatten(p: Propagator, name: str, args: Args, kwargs: Kwargs) -> Any:
    x = _input(args, kwargs)
    return p.tensor_method(x, "flatten", args[1:], kwargs) if isinstance(x, Tensor) else Tensor(None)


FUNCTIONALS: Mapping[str, Function] = registry(
    (SHAPE_PRESERVING, _f_elementwise),
    (("interpolate", "upsample", "upsample_bilinear", "upsample_nearest"), _f_interpolate),
    (("pad",), _f_pad),
    (_FUNCTIONAL_LAYERS, _f_layer),
    (("pixel_shuffle", "pixel_unshuffle"), _f_pixel_shuffle),
    (("glu",), _f_glu),
    (("linear",), _f_linear),
    (("flatten",), _f_flatten),
)
