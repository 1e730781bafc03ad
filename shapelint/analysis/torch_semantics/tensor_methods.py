"""Tensor attributes (``x.shape``) and methods (``x.view(b, -1)``), by name.

A method's handler is ``(propagator, tensor, name, args, kwargs) -> value``; a name with no
handler gives an unknown value. The name sets below also serve ``torch.X`` and ``F.X``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping

from ...core.layers import LAYERS, UNKNOWN, flatten_shape
from ...core.shapes import is_known, normalize_dim_index
from ..values import MethodRef, Tensor, dim_value
from .operations import broadcast_op, matmul, run_rule
from .registry import Args, Kwargs, registry
from .shape_ops import (
    as_size_list,
    creation_shape,
    expand_shape,
    index_shape,
    permute_shape,
    pieces,
    plain,
    reduce_shape,
    repeat_shape,
    same_shape,
    shape_of,
    size_value,
    squeeze_shape,
    transpose_shape,
    unsqueeze_shape,
    view_shape,
)

if TYPE_CHECKING:
    from ..propagate import Propagator

#: Functions and methods whose output has the shape of their (first) input.
SHAPE_PRESERVING = frozenset({
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
    "triu", "sort_values", "sigmoid_focal", "bernoulli", "bernoulli_", "exponential_", "geometric_",
    "cauchy_", "log_normal_", "random_",
})

#: Element-wise functions of two tensors (broadcasting).
BROADCASTING = frozenset({
    "add", "sub", "mul", "div", "pow", "maximum", "minimum", "true_divide", "floor_divide",
    "remainder", "fmod", "atan2", "add_", "mul_", "sub_", "div_", "float_power", "lerp", "eq",
    "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "bitwise_and", "bitwise_or", "hypot",
})

#: Reductions over ``dim`` (all dims when none is given); max, min and median also return the
#: indices when given a dim.
REDUCTIONS = frozenset({"mean", "sum", "amax", "amin", "std", "var", "prod", "logsumexp",
                        "argmax", "argmin", "all", "any", "nansum", "nanmean", "count_nonzero"})
REDUCTIONS_WITH_INDICES = frozenset({"max", "min", "median"})

TensorMethod = Callable[["Propagator", Tensor, str, List[Any], Dict[str, Any]], Any]


# ----------------------------------------------------------------------------- attributes


def _shape(tensor: Tensor) -> Any:
    shape = tensor.shape
    return tuple(dim_value(d) for d in shape) if shape is not None else UNKNOWN


def _ndim(tensor: Tensor) -> Any:
    return len(tensor.shape) if tensor.shape is not None else UNKNOWN


def _transposed(tensor: Tensor) -> Tensor:
    return Tensor(None) if tensor.shape is None else Tensor(tuple(reversed(tensor.shape)))


def _matrix_transposed(tensor: Tensor) -> Tensor:
    shape = tensor.shape
    if shape is None or len(shape) < 2:
        return Tensor(None)
    return Tensor(tuple(shape[:-2]) + (shape[-1], shape[-2]))


def _unknown_attribute(tensor: Tensor) -> Any:
    return UNKNOWN


#: ``x.NAME`` -> its value; any other name is a method (``x.view``).
TENSOR_ATTRIBUTES: Mapping[str, Callable[[Tensor], Any]] = registry(
    (("shape",), _shape),
    (("ndim",), _ndim),
    (("T",), _transposed),
    (("mT",), _matrix_transposed),
    (("data",), lambda tensor: tensor),
    (("dtype", "device", "requires_grad", "is_cuda", "grad"), _unknown_attribute),
)


# ----------------------------------------------------------------------------- methods


def _attribute(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    """``x.NAME`` (the interpreter's ``__attr__``, with the name in ``args``)."""
    read = TENSOR_ATTRIBUTES.get(args[0])
    return MethodRef(tensor, args[0]) if read is None else read(tensor)


def _getitem(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    index = args[0]
    if isinstance(index, list) or isinstance(index, Tensor):
        return Tensor(None)  # advanced indexing
    return run_rule(p, "indexing", lambda s: index_shape(s, index), tensor)


def _size(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    shape = tensor.shape
    if shape is None:
        return UNKNOWN
    if not args and "dim" not in kwargs:
        return tuple(dim_value(d) for d in shape)
    dim = args[0] if args else kwargs["dim"]
    if not isinstance(dim, int) or isinstance(dim, bool):
        return UNKNOWN
    index = normalize_dim_index(dim, len(shape))
    return UNKNOWN if index is None else dim_value(shape[index])


def _rank(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    return _ndim(tensor)


def _numel(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    shape = tensor.shape
    if shape is not None and all(is_known(d) for d in shape):
        return math.prod(shape)
    return UNKNOWN


def _view(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    sizes = as_size_list(args)
    if sizes is None or any(isinstance(s, Tensor) for s in sizes):
        return Tensor(None)
    return run_rule(p, f".{name}", lambda s: view_shape(s, sizes), tensor)


def _shaped_like(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    return Tensor(shape_of(args[0]) if args else None)


def _flatten(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    start = args[0] if args else kwargs.get("start_dim", 0)
    end = args[1] if len(args) > 1 else kwargs.get("end_dim", -1)
    return run_rule(p, "flatten", lambda s, accepts=None: flatten_shape("flatten", s, plain(start), plain(end), accepts),
                    tensor, collects=True)


def _unflatten(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    params = {"dim": plain(args[0] if args else kwargs.get("dim")),
              "unflattened_size": size_value(args[1] if len(args) > 1 else kwargs.get("sizes"))}
    return run_rule(p, "unflatten", lambda s: LAYERS["Unflatten"].infer(params, s), tensor)


def _permute(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    dims = as_size_list(args) if args else kwargs.get("dims")
    return run_rule(p, "permute", lambda s: permute_shape(s, dims), tensor)


def _transpose(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    if len(args) != 2:
        return Tensor(None)
    return run_rule(p, name, lambda s: transpose_shape(s, args[0], args[1]), tensor)


def _t(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    return run_rule(p, "t", lambda s: tuple(reversed(s)) if s is not None and len(s) <= 2 else None, tensor)


def _unsqueeze(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    dim = args[0] if args else kwargs.get("dim")
    return run_rule(p, "unsqueeze", lambda s: unsqueeze_shape(s, dim), tensor)


def _squeeze(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    dim = args[0] if args else kwargs.get("dim", None)
    return run_rule(p, "squeeze", lambda s: squeeze_shape(s, dim), tensor)


def _reduce(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    dim = args[0] if args else kwargs.get("dim", None)
    keepdim = args[1] if len(args) > 1 else kwargs.get("keepdim", False)
    return _reduced(p, tensor, name, dim, keepdim)


def _norm(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    """``x.norm(p, dim, keepdim)``: the order comes first."""
    dim = args[1] if len(args) > 1 else kwargs.get("dim", None)
    keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
    return _reduced(p, tensor, name, dim, keepdim)


def _reduce_with_indices(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    """``x.max(dim)`` gives (values, indices); ``x.max()`` one tensor; ``x.max(y)`` a broadcast."""
    out = _reduce(p, tensor, name, args, kwargs)
    dim = args[0] if args else kwargs.get("dim", None)
    if dim is not None and not isinstance(dim, Tensor):
        return (out, Tensor(out.shape))
    return out


def _reduced(p: Propagator, tensor: Tensor, name: str, dim: Any, keepdim: Any) -> Tensor:
    if isinstance(dim, Tensor):
        return broadcast_op(p, tensor, dim, name)
    return Tensor(reduce_shape(tensor.shape, plain(dim), keepdim))


def _pieces(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    found = pieces(tensor.shape, name, args, kwargs)
    if name != "unbind" and isinstance(found, tuple) and len({t.shape for t in found}) == 1:
        # Equal pieces: each one's count along the cut axis is the whole's over their number.
        axis = next((i for i, (a, b) in enumerate(zip(tensor.shape, found[0].shape)) if a != b), None)
        if axis is not None:
            for piece in found:
                p.join(piece, (tensor,), axis, len(found))
    return found


def _expand(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    return Tensor(expand_shape(tensor.shape, as_size_list(args)))


def _repeat(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    return Tensor(repeat_shape(tensor.shape, as_size_list(args)))


def _elementwise(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    if name in BROADCASTING and args and isinstance(args[0], Tensor):
        return broadcast_op(p, tensor, args[0], name)
    return run_rule(p, f".{name}", same_shape, tensor)


def _binary(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    if not args:
        return UNKNOWN
    if isinstance(args[0], Tensor):
        return broadcast_op(p, tensor, args[0], name)
    return Tensor(tensor.shape)


def _matmul(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    return matmul(p, tensor, args[0] if args else UNKNOWN)


def _new_tensor(p: Propagator, tensor: Tensor, name: str, args: Args, kwargs: Kwargs) -> Any:
    """``x.new_zeros(size)``; ``new_full(size, value)``."""
    return Tensor(creation_shape("zeros", args[:1] if name == "new_full" else args, {}))


TENSOR_METHODS: Mapping[str, TensorMethod] = registry(
    (("__attr__",), _attribute),
    (("__getitem__",), _getitem),
    (("size",), _size),
    (("dim", "ndimension"), _rank),
    (("numel",), _numel),
    (("view", "reshape"), _view),
    (("view_as", "reshape_as", "expand_as"), _shaped_like),
    (("flatten",), _flatten),
    (("unflatten",), _unflatten),
    (("permute",), _permute),
    (("transpose", "swapaxes", "swapdims"), _transpose),
    (("t",), _t),
    (("unsqueeze",), _unsqueeze),
    (("squeeze",), _squeeze),
    (REDUCTIONS, _reduce),
    (("norm",), _norm),
    (REDUCTIONS_WITH_INDICES, _reduce_with_indices),
    (("chunk", "split", "unbind"), _pieces),
    (("expand",), _expand),
    (("repeat",), _repeat),
    (SHAPE_PRESERVING, _elementwise),
    (BROADCASTING - SHAPE_PRESERVING, _binary),
    (("matmul", "mm", "bmm"), _matmul),
    (("new_zeros", "new_ones", "new_empty", "new_full"), _new_tensor),
)
