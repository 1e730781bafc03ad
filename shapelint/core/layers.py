"""The layer table: one entry per torch.nn layer, read by everything else.

Each ``LayerSpec`` carries the torch constructor signature (names, order, defaults), the forward
shape rule and the validity rules PyTorch enforces. A rule takes the bound parameters and the
input shape (``None`` when unknown) and returns the output shape, or raises ``ShapeError`` with
the code of what PyTorch would reject. Parameters the analysis could not evaluate are
``UNKNOWN``; every check that needs them is skipped, so unknown code is never reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from . import formulas
from .codes import (
    CHANNEL_MISMATCH,
    CHECKERBOARD,
    CROPS_INPUT,
    INCOMPATIBLE_SHAPES,
    INVALID_PARAMETERS,
    NON_POSITIVE_SIZE,
    WRONG_RANK,
    ShapeError,
)
from .shapes import (
    Dim,
    MaybeShape,
    Shape,
    as_expression,
    format_shape,
    from_expression,
    is_known,
    is_symbolic,
    normalize_dim_index,
)


class _Sentinel:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: A parameter without a default in the torch signature.
REQUIRED: Any = _Sentinel("REQUIRED")
#: A value the analysis could not evaluate.
UNKNOWN: Any = _Sentinel("UNKNOWN")
#: The input of a check that runs without one (distinct from an unknown size, None).
NO_INPUT: Any = _Sentinel("NO_INPUT")

POSITIONAL = "positional_or_keyword"
KEYWORD_ONLY = "keyword_only"
VAR_POSITIONAL = "var_positional"
VAR_KEYWORD = "var_keyword"

#: Layer families the solver knows (``LayerSpec.family``).
CONV = "conv"
CONV_TRANSPOSE = "conv_transpose"
MAX_POOL = "max_pool"
AVG_POOL = "avg_pool"

Params = Dict[str, Any]

#: The key under which ``LayerSpec.infer`` hands a rule the list that collects the conditions
#: on the symbolic sizes under which PyTorch accepts the input (``symbolic.Constraint``s; a None
#: there: a condition that could not be known, so the sizes the model takes are not known).
ACCEPTS = "__accepts__"
ShapeRule = Callable[[Params, MaybeShape], MaybeShape]


@dataclass(frozen=True)
class Param:
    name: str
    default: Any = REQUIRED
    kind: str = POSITIONAL


class BindError(Exception):
    """Arguments that do not fit the signature (a TypeError in Python, not a shape problem)."""


@dataclass(frozen=True)
class TensorResult:
    """One tensor among the values ``forward`` returns; ``shape`` None when unknown."""

    shape: MaybeShape


@dataclass(frozen=True)
class Submodule:
    """A submodule a layer builds itself; ``called`` False for one its forward never calls as a
    module (``out_proj`` of MultiheadAttention: only its weights are used)."""

    name: str
    type_name: str
    called: bool = False
    input: MaybeShape = None
    output: MaybeShape = None
    children: Tuple["Submodule", ...] = ()


@dataclass(frozen=True)
class LayerSpec:
    """One torch.nn layer class.

    ``family`` groups layers the solver knows (``CONV``, ``CONV_TRANSPOSE``, ``MAX_POOL``,
    ``AVG_POOL``); ``spatial_dims`` is the number of spatial dims of the family's input;
    ``channel_param`` is the parameter that must match what arrives (SHP102); ``forward_params``
    are the extra arguments ``forward`` accepts (``output_size`` of transposed convolutions).
    """

    name: str
    params: Tuple[Param, ...]
    rule: ShapeRule
    family: Optional[str] = None
    spatial_dims: Optional[int] = None
    channel_param: Optional[str] = None
    forward_params: Tuple[str, ...] = ()
    lint: Optional[Callable[[Params], List[ShapeError]]] = None
    #: The parameters the constructor really takes where torch declares ``(*args, **kwargs)``
    #: (RNN, LSTM, GRU): ``bind`` maps the arguments to these; ``params`` stays torch's signature.
    arguments: Optional[Tuple[Param, ...]] = None
    #: The ``forward_params`` that are tensors: the rule gets their shapes (None when not given,
    #: UNKNOWN when given but of unknown shape).
    tensor_params: Tuple[str, ...] = ()
    #: For a ``forward`` that returns more than one value (LSTM, MultiheadAttention):
    #: ``(params with the forward arguments, input shape, output shape)`` -> the whole result,
    #: tuples whose leaves are ``TensorResult`` (a tensor), None (Python's None) or UNKNOWN.
    #: ``rule`` gives the first tensor of it.
    results: Optional[Callable[[Params, MaybeShape, MaybeShape], Any]] = None
    #: The layer's own submodules, as ``named_modules()`` lists them (the attention of a
    #: transformer layer): ``(params, input shape or None, output shape)`` -> ``Submodule``s.
    submodules: Optional[Callable[[Params, MaybeShape, MaybeShape], Tuple["Submodule", ...]]] = None
    #: The constructor arguments torch keeps as attributes of the same name and value; None: all
    #: of them (``TransformerEncoderLayer.dropout`` is a module, not the rate).
    stored_attributes: Optional[FrozenSet[str]] = None
    #: (attribute, parameter): the attribute is that parameter's value where it was given as
    #: None (``MultiheadAttention.kdim`` is ``embed_dim`` then).
    attribute_fallbacks: Tuple[Tuple[str, str], ...] = ()
    #: Parameters torch stores as tuples of ``spatial_dims`` items (``conv.kernel_size == (3, 3)``).
    tuple_attributes: Tuple[str, ...] = ()
    #: The flag that makes ``forward`` return ``(output, indices)`` when True.
    indices_flag: Optional[str] = None
    #: An adaptive pool: ``output_size`` gives the output size whatever the input size.
    adaptive: bool = False
    #: The ranks of input this layer takes when it is a model's first layer, the usual one first:
    #: an undeclared model input (``analysis/probe.py``) takes its rank from them and its
    #: channels from ``channel_param`` (none: a name; empty: such a model's input stays unknown).
    probe_ranks: Tuple[int, ...] = ()
    #: The ``torch.nn.functional`` function with this shape rule (``max_pool2d``), and its
    #: parameters after the input, in its order.
    functional: Optional[str] = None
    functional_params: Tuple[str, ...] = ()
    #: Parameters that set an output size outright (``out_channels``, ``out_features``, the
    #: ``size`` of Upsample): a fix of a wrong output may change them.
    output_size_params: Tuple[str, ...] = ()

    @property
    def signature(self) -> Tuple[Param, ...]:
        """The parameters arguments bind to (``arguments`` where torch takes ``*args``)."""
        return self.arguments or self.params

    def bind(self, args: Sequence[Any] = (), kwargs: Optional[Mapping[str, Any]] = None) -> Params:
        """Map call arguments to parameter names, filling defaults, as Python would."""
        kwargs = dict(kwargs or {})
        bound: Params = {}
        signature = self.signature
        positional = [p for p in signature if p.kind == POSITIONAL]
        takes_varargs = any(p.kind == VAR_POSITIONAL for p in signature)
        takes_varkw = any(p.kind == VAR_KEYWORD for p in signature)
        if len(args) > len(positional) and not takes_varargs:
            raise BindError(f"{self.name}() takes {len(positional)} positional arguments")
        for param, value in zip(positional, args):
            bound[param.name] = value
        for name, value in kwargs.items():
            known = any(p.name == name and p.kind in (POSITIONAL, KEYWORD_ONLY) for p in signature)
            if not known:
                if takes_varkw:
                    continue
                raise BindError(f"{self.name}() got an unexpected keyword argument {name!r}")
            if name in bound:
                raise BindError(f"{self.name}() got multiple values for argument {name!r}")
            bound[name] = value
        for param in signature:
            if param.kind in (VAR_POSITIONAL, VAR_KEYWORD) or param.name in bound:
                continue
            if param.default is REQUIRED:
                raise BindError(f"{self.name}() missing required argument {param.name!r}")
            bound[param.name] = param.default
        return bound

    def infer(
        self,
        params: Mapping[str, Any],
        input_shape: MaybeShape,
        forward_kwargs: Optional[Mapping[str, Any]] = None,
        accepts: Optional[list] = None,
    ) -> MaybeShape:
        """Output shape for ``input_shape``; raises ``ShapeError`` where PyTorch would raise.

        With an unknown input (``None``) only the checks that need no input run. ``accepts``
        collects the conditions on symbolic sizes under which PyTorch runs the layer (an
        error is raised only where no size works).
        """
        merged = dict(params)
        for name in self.forward_params:
            merged[name] = (forward_kwargs or {}).get(name)
        if accepts is not None:
            merged[ACCEPTS] = accepts
        return self.rule(merged, input_shape)

    def forward_results(
        self,
        params: Mapping[str, Any],
        input_shape: MaybeShape,
        output: MaybeShape,
        forward_kwargs: Optional[Mapping[str, Any]] = None,
    ) -> Any:
        """Everything ``forward`` returns (see ``results``); a ``TensorResult`` of ``output``
        for a layer that returns one tensor."""
        if self.results is None:
            return TensorResult(output)
        merged = dict(params)
        for name in self.forward_params:
            merged[name] = (forward_kwargs or {}).get(name)
        return self.results(merged, input_shape, output)

    def warnings(self, params: Mapping[str, Any]) -> List[ShapeError]:
        """SHP2xx findings about valid but poor parameter choices."""
        return self.lint(dict(params)) if self.lint else []


# --------------------------------------------------------------------------- helpers


def _fail(code: str, message: str, **fix: Any) -> ShapeError:
    return ShapeError(code, message, fix)


def _symbolic_rule(accepts: Optional[list], code: str, message: Callable[[], str], formula: str, size: Any,
                   *args: Any, **kwargs: Any) -> Dim:
    """A per-dim rule of ``symbolic_formulas`` on a symbolic ``size``: its exact output, its
    condition added to ``accepts``; ``ShapeError(code, message())`` when no size works (the
    message made only then: printing a size costs more than computing it); unknown (None)
    where the exact result is out of reach (``symbolic.Inexact``)."""
    from . import symbolic_formulas

    try:
        out, condition = getattr(symbolic_formulas, formula)(as_expression(size), *args, **kwargs)
    except (ValueError, TypeError, ArithmeticError):  # symbolic.Inexact is a ValueError
        return None
    if condition.is_empty():
        raise _fail(code, message())
    if accepts is not None and not condition.is_everything():
        # With the code of what PyTorch raises where it does not hold, when the list keeps it.
        add = getattr(accepts, "add", None)
        add(condition, code) if add is not None else accepts.append(condition)
    return from_expression(out)


def _known(*values: Any) -> bool:
    return all(v is not UNKNOWN for v in values)


def _truthy(value: Any) -> bool:
    """Certainly true (an UNKNOWN flag is not)."""
    return value is not UNKNOWN and bool(value)


def _as_tuple(
    value: Any, n: int, name: str, layer: str, single_ok: bool = True
) -> Tuple[Any, ...]:
    """Expand an int (or a tuple of ``n``) to ``n`` items, each an int or UNKNOWN.

    ``single_ok``: whether PyTorch also broadcasts a one-item tuple to all ``n`` dims (ATen's
    conv and pooling arguments do; a conv's ``kernel_size`` does not, since it shapes the weight).
    """
    if value is UNKNOWN:
        return (UNKNOWN,) * n
    if isinstance(value, (tuple, list)):
        if len(value) == 1 and n != 1 and single_ok:
            return (value[0],) * n
        if len(value) != n:
            raise _fail(
                INVALID_PARAMETERS,
                f"{layer}: {name} has {len(value)} values, expected {n}",
            )
        return tuple(value)
    return (value,) * n


# The three checks below run for every parameter of every layer call: plain loops, which are
# about twice as fast as any()/all() over a generator on these few values.


def _ints(values: Iterable[Any]) -> bool:
    for v in values:
        if not is_known(v):
            return False
    return True


def _check_positive(layer: str, name: str, values: Sequence[Any]) -> None:
    for v in values:
        if is_known(v) and v <= 0:
            raise _fail(INVALID_PARAMETERS, f"{layer}: {name} must be positive, got {_show(values)}")


def _check_non_negative(layer: str, name: str, values: Sequence[Any]) -> None:
    for v in values:
        if is_known(v) and v < 0:
            raise _fail(INVALID_PARAMETERS, f"{layer}: {name} must not be negative, got {_show(values)}")


def _show(values: Sequence[Any]) -> str:
    values = tuple(values)
    if len(set(map(repr, values))) == 1:
        return str(values[0])
    return "(" + ", ".join(map(str, values)) + ")"


def _expect_rank(layer: str, x: Shape, ranks: Sequence[int]) -> None:
    if len(x) not in ranks:
        wanted = " or ".join(f"{r}-D" for r in ranks)
        raise _fail(
            WRONG_RANK, f"{layer} expects a {wanted} input, got {len(x)}-D {format_shape(x)}"
        )


def _expect_min_rank(layer: str, x: Shape, rank: int) -> None:
    if len(x) < rank:
        raise _fail(
            WRONG_RANK,
            f"{layer} expects an input of at least {rank} dims, got {len(x)}-D {format_shape(x)}",
        )


def _check_channels(layer: str, param: str, expected: Any, arriving: Dim, what: str = "channels",
                    accepts: Optional[list] = None) -> None:
    if is_known(expected) and is_known(arriving) and expected != arriving:
        raise _fail(
            CHANNEL_MISMATCH,
            f"{layer} expects {expected} input {what} ({param}={expected}) but {arriving} arrive",
            **{param: arriving},
        )
    if is_known(expected) and is_symbolic(arriving):
        # A count of names (``16*h*w`` flattened): PyTorch runs where it is ``expected``.
        _symbolic_rule(accepts, CHANNEL_MISMATCH,
                       lambda: f"{layer} expects {expected} input {what} ({param}={expected}) but {arriving}"
                       f" arrive, which is {expected} for no size", "linear", arriving, expected)
    elif is_symbolic(arriving) and accepts is not None:
        accepts.append(None)  # checked against a count not known: the sizes it takes are not known


def _spatial_rule_ranks(n: int) -> Tuple[int, int]:
    """Unbatched and batched ranks of an n-d spatial layer: (C, *spatial) and (N, C, *spatial)."""
    return (n + 1, n + 2)


# --------------------------------------------------------------------------- convolutions

_CONV_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _conv_signature(transposed: bool, lazy: bool) -> Tuple[Param, ...]:
    head = () if lazy else (Param("in_channels"),)
    if transposed:
        tail = (
            Param("kernel_size"),
            Param("stride", 1),
            Param("padding", 0),
            Param("output_padding", 0),
            Param("groups", 1),
            Param("bias", True),
            Param("dilation", 1),
        )
    else:
        tail = (
            Param("kernel_size"),
            Param("stride", 1),
            Param("padding", 0),
            Param("dilation", 1),
            Param("groups", 1),
            Param("bias", True),
        )
    return head + (Param("out_channels"),) + tail + (
        Param("padding_mode", "zeros"),
        Param("device", None),
        Param("dtype", None),
    )


def _check_groups(layer: str, p: Params, lazy_transposed: bool = False) -> Dim:
    """Check ``groups`` against the channel counts; return the output channel count.

    A lazy transposed convolution is built with ``in_channels=0``, so its constructor never
    checks ``out_channels``; its weight gets ``out_channels // groups`` channels per group, and
    only a bias (``out_channels`` long) then disagrees. Without a bias it runs and gives
    ``(out_channels // groups) * groups`` channels.
    """
    groups = p["groups"]
    out_channels = p["out_channels"] if is_known(p["out_channels"]) else None
    if not is_known(groups):
        with_bias = p["bias"] is not UNKNOWN and bool(p["bias"])
        return None if lazy_transposed and not with_bias else out_channels
    if groups <= 0:
        raise _fail(INVALID_PARAMETERS, f"{layer}: groups must be a positive integer, got {groups}")
    for name in ("in_channels", "out_channels"):
        value = p.get(name, UNKNOWN)
        if not is_known(value) or not value % groups:
            continue
        if lazy_transposed and value // groups > 0 and p["bias"] is not UNKNOWN and not p["bias"]:
            return (value // groups) * groups
        if lazy_transposed and value // groups > 0 and p["bias"] is UNKNOWN:
            return None
        raise _fail(
            INVALID_PARAMETERS, f"{layer}: {name}={value} is not divisible by groups={groups}"
        )
    return out_channels


def _conv_rule(layer: str, n: int, transposed: bool, lazy: bool) -> ShapeRule:
    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        out_channels = _check_groups(layer, p, lazy and transposed)
        # Zero channels give an empty weight that every non-empty input is rejected by.
        for name in ("in_channels", "out_channels"):
            _check_positive(layer, name, (p.get(name, UNKNOWN),))
        # kernel_size=(k,) on a 2-d/3-d conv makes a weight of the wrong rank: torch rejects it.
        kernel = _as_tuple(p["kernel_size"], n, "kernel_size", layer, single_ok=False)
        stride = _as_tuple(p["stride"], n, "stride", layer)
        dilation = _as_tuple(p["dilation"], n, "dilation", layer)
        padding_mode = p["padding_mode"]
        padding = p["padding"]
        _check_conv_padding(layer, transposed, padding, padding_mode, stride)
        if not transposed and isinstance(padding, (tuple, list)) and len(padding) != n:
            # Any other padding_mode pads with F.pad(x, padding reversed and repeated twice)
            # and convolves with padding 0: a padding tuple of another length than n pads the
            # last len(padding) dims (fewer spatial dims, or the channel dim too), not all n.
            if padding_mode is UNKNOWN:
                return None
            if padding_mode != "zeros":
                x = _pad_before_conv(layer, n, lazy, p, padding, padding_mode, x)
                padding = 0
        pads = (
            _as_tuple(0 if padding == "valid" else padding, n, "padding", layer)
            if padding != "same"
            else None
        )
        _check_positive(layer, "kernel_size", kernel)
        _check_positive(layer, "stride", stride)
        _check_positive(layer, "dilation", dilation)
        if pads is not None and (transposed or padding_mode == "zeros"):
            # With another padding_mode, torch pads with F.pad first, which crops on a negative
            # padding; only the kernel-vs-padded-input check (SHP105) then applies.
            _check_non_negative(layer, "padding", pads)
        out_pads = _conv_output_padding(layer, n, p, stride, dilation) if transposed else (0,) * n
        if x is None:
            return None
        _check_conv_input(layer, n, lazy, p, x, padding_mode)
        if transposed and p.get("output_size") not in (None, UNKNOWN):
            own_pads = _own_output_padding(p["output_padding"], n, stride, dilation)
            sizes = _conv_transpose_requested(layer, n, x, p["output_size"], kernel, stride, pads, dilation,
                                              own_pads)
        else:
            sizes = [
                _conv_dim(layer, transposed, size, kernel[i], stride[i],
                          None if pads is None else pads[i], out_pads[i], dilation[i], padding_mode,
                          p.get(ACCEPTS))
                for i, size in enumerate(x[-n:])
            ]
        return tuple(x[: -n - 1]) + (out_channels,) + tuple(sizes)

    return rule


def _check_conv_padding(layer: str, transposed: bool, padding: Any, padding_mode: Any,
                        stride: Sequence[Any]) -> None:
    """The padding modes and padding strings a convolution's constructor accepts."""
    if transposed:
        if padding_mode is not UNKNOWN and padding_mode != "zeros":
            raise _fail(
                INVALID_PARAMETERS,
                f"{layer}: only padding_mode='zeros' is supported, got {padding_mode!r}",
                padding_mode="zeros",
            )
        if isinstance(padding, str):
            raise _fail(
                INVALID_PARAMETERS,
                f"{layer}: padding={padding!r} is not supported for transposed convolutions",
            )
        return
    if padding_mode is not UNKNOWN and padding_mode not in _CONV_PADDING_MODES:
        raise _fail(
            INVALID_PARAMETERS,
            f"{layer}: padding_mode must be one of {', '.join(_CONV_PADDING_MODES)},"
            f" got {padding_mode!r}",
        )
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise _fail(
                INVALID_PARAMETERS,
                f"{layer}: padding={padding!r} is not one of 'same', 'valid'",
            )
        if padding == "same" and any(is_known(s) and s != 1 for s in stride):
            raise _fail(
                INVALID_PARAMETERS,
                f"{layer}: padding='same' is not supported with stride={_show(stride)}",
                stride=1,
            )


def _pad_before_conv(layer: str, n: int, lazy: bool, p: Params, padding: Sequence[Any],
                     padding_mode: str, x: MaybeShape) -> MaybeShape:
    """The input after the F.pad of a non-zeros padding_mode whose padding has not n values."""
    if x is None:
        _fpad_dims(layer, len(padding))
        _check_channel_padding(layer, n, lazy, p, padding, padding_mode, NO_INPUT)
        return None
    # The convolution's own rank check (lazy layers run it first) and then F.pad's: a wrong
    # conv rank is the input's fault whichever comes first.
    _expect_rank(layer, x, _spatial_rule_ranks(n))
    _fpad_dims(layer, len(padding), len(x), usual_rank=n + 2)
    _check_channel_padding(layer, n, lazy, p, padding, padding_mode, x[-n - 1])
    return _fpad_shape(layer, x, _reverse_repeat(padding), padding_mode, p.get(ACCEPTS))


def _conv_output_padding(layer: str, n: int, p: Params, stride: Sequence[Any],
                         dilation: Sequence[Any]) -> Tuple[Any, ...]:
    """A transposed convolution's output padding per dim, checked (UNKNOWN with output_size)."""
    requested = p.get("output_size")
    if requested not in (None, UNKNOWN):
        # forward(x, output_size=...) indexes stride, padding and dilation per dim, as
        # given: a one-item tuple, broadcast everywhere else, is an IndexError there.
        for name in ("stride", "padding", "dilation"):
            value = p[name]
            if isinstance(value, (tuple, list)) and len(value) == 1 and n != 1:
                raise _fail(
                    INVALID_PARAMETERS,
                    f"{layer}: with output_size, {name} needs {n} values, got {value!r}",
                )
    if requested is not None:
        # forward(x, output_size=...) computes its own output padding: the constructor's is
        # then never read, not even checked.
        return (UNKNOWN,) * n
    out_pads = _as_tuple(p["output_padding"], n, "output_padding", layer)
    _check_non_negative(layer, "output_padding", out_pads)
    for op, s, d in zip(out_pads, stride, dilation):
        if _ints((op, s, d)) and op >= max(s, d):
            raise _fail(
                INVALID_PARAMETERS,
                f"{layer}: output_padding={_show(out_pads)} must be smaller than"
                f" stride={_show(stride)} or dilation={_show(dilation)}",
            )
    return out_pads


def _check_conv_input(layer: str, n: int, lazy: bool, p: Params, x: Shape, padding_mode: Any) -> None:
    """The input's rank, and its channels against in_channels (a lazy layer's against groups)."""
    _expect_rank(layer, x, _spatial_rule_ranks(n))
    channels = x[-n - 1]
    if lazy:
        groups = p["groups"]
        if is_known(channels) and is_known(groups) and channels % groups:
            raise _fail(
                INVALID_PARAMETERS,
                f"{layer}: {channels} input channels are not divisible by groups={groups}",
            )
    elif not (p["padding"] is UNKNOWN and padding_mode != "zeros"):
        # (An unknown padding in another mode may be n + 1 values that pad the channels.)
        _check_channels(layer, "in_channels", p["in_channels"], channels, accepts=p.get(ACCEPTS))


def _conv_dim(layer, transposed, size, k, s, pad, out_pad, d, padding_mode, accepts=None) -> Dim:
    if is_symbolic(size):
        return _symbolic_conv_dim(layer, transposed, size, k, s, pad, out_pad, d, padding_mode, accepts)
    if pad is None:  # padding='same'
        if _ints((size, k, d)) and padding_mode in ("reflect", "circular"):
            total = d * (k - 1)
            _check_mode_padding(layer, padding_mode, size, max(total // 2, total - total // 2))
        return size if is_known(size) else None
    if not _ints((size, k, s, pad, out_pad, d)):
        return None
    if transposed:
        out = formulas.conv_transpose_out(size, k, s, pad, out_pad, d)
        if out <= 0:
            raise _fail(
                NON_POSITIVE_SIZE,
                f"{layer}: input size {size} gives output size {out}"
                f" (kernel_size={k}, stride={s}, padding={pad}, dilation={d})",
            )
        return out
    _check_mode_padding(layer, padding_mode, size, pad)
    if formulas.conv_margin(size, k, pad, d) < 0:
        raise _fail(
            NON_POSITIVE_SIZE,
            f"{layer}: kernel (effective size {formulas.effective_kernel(k, d)}) is larger than"
            f" the padded input ({size} + 2*{pad})",
        )
    return formulas.conv_out(size, k, s, pad, d)


def _symbolic_conv_dim(layer, transposed, size, k, s, pad, out_pad, d, padding_mode, accepts) -> Dim:
    """``_conv_dim`` of a symbolic size: exact, with what PyTorch accepts."""
    if not _ints((k, s, d)) or not _ints((0 if pad is None else pad, out_pad)) \
            or padding_mode not in ("zeros", "reflect", "replicate", "circular"):
        return None
    def message() -> str:
        return f"{layer}: no input size gives a positive output from {size} (kernel_size={k}, stride={s}," \
               f" padding={'same' if pad is None else pad}, dilation={d})"

    if transposed:
        return _symbolic_rule(accepts, NON_POSITIVE_SIZE, message, "conv_transpose", size, k, s, pad, out_pad, d)
    return _symbolic_rule(accepts, NON_POSITIVE_SIZE, message, "conv", size, k, s,
                          "same" if pad is None else pad, d, padding_mode)


def _check_channel_padding(layer, n, lazy, p, padding, mode, channels) -> None:
    """A padding tuple of n + 1 values in a non-zeros mode: F.pad pads the channels too.

    The convolution then sees ``channels + 2 * padding[0]`` channels. That is the padding's
    fault (SHP103), not the input's: an input with ``in_channels`` channels fails too. A lazy
    layer has taken its in_channels from the unpadded input, so every input fails.
    ``channels`` is the input's channel count, ``NO_INPUT`` without an input.
    """
    pad = padding[0] if len(padding) == n + 1 else 0
    if not is_known(pad) or pad == 0:
        return
    why = (
        f"{layer}: padding={tuple(padding)!r} has {n + 1} values for {n} spatial dims: with"
        f" padding_mode={mode!r}, F.pad also pads the channel dim by {pad} on each side"
    )
    if lazy:
        raise _fail(INVALID_PARAMETERS, why + ", after the layer took in_channels from its input")
    wanted = p["in_channels"]
    if not is_known(wanted):
        return
    if channels is NO_INPUT:
        # Only an input of in_channels - 2 * pad channels fits, if that is a size the mode pads.
        if not _mode_can_pad(mode, wanted - 2 * pad, pad):
            raise _fail(INVALID_PARAMETERS, why + f", and no input reaches in_channels={wanted}")
        return
    if is_symbolic(channels):
        # The padded count must be in_channels: where it is, for some count of names.
        padded = as_expression(channels) + 2 * pad
        _symbolic_rule(p.get(ACCEPTS), INVALID_PARAMETERS,
                       lambda: why + f" ({channels} -> {padded} channels, in_channels={wanted}, for no size)",
                       "linear", padded, wanted)
        return
    if not is_known(channels):
        return
    if channels + 2 * pad != wanted or not _mode_can_pad(mode, channels, pad):
        raise _fail(
            INVALID_PARAMETERS,
            why + f" ({channels} -> {channels + 2 * pad} channels, in_channels={wanted})",
        )


def _mode_can_pad(mode: str, size: int, pad: int) -> bool:
    """Whether F.pad in ``mode`` pads (or crops) a dim of ``size`` by ``pad`` on each side."""
    if size < 1 or size + 2 * pad < 1:
        return False
    if mode == "reflect":
        return pad < size
    if mode == "circular":
        return pad <= size
    return True


def _reverse_repeat(padding: Sequence[Any]) -> Tuple[Any, ...]:
    """torch's ``_reverse_repeat_tuple(padding, 2)``: F.pad order, the last dim first."""
    return tuple(v for value in reversed(tuple(padding)) for v in (value, value))


def _fpad_dims(layer: str, dims: int, rank: Optional[int] = None, usual_rank: int = 0) -> None:
    """F.pad's non-constant modes pad 1 to 3 trailing dims of a (dims+1)- or (dims+2)-D input.

    When the layer's usual batched input (``usual_rank``) would fit, a wrong rank is the
    input's fault (SHP104); otherwise the padding's (SHP103): every batched input fails.
    """
    if not 1 <= dims <= 3:
        raise _fail(
            INVALID_PARAMETERS,
            f"{layer}: F.pad cannot pad {dims} dims in a non-constant padding_mode",
        )
    if rank is not None and rank not in (dims + 1, dims + 2):
        raise _fail(
            WRONG_RANK if usual_rank in (dims + 1, dims + 2) else INVALID_PARAMETERS,
            f"{layer}: padding {dims} dims in a non-constant mode needs a {dims + 1}-D or"
            f" {dims + 2}-D input, got {rank}-D",
        )


def _fpad_shape(layer: str, x: Shape, pads: Sequence[Any], mode: str,
                accepts: Optional[list] = None) -> Shape:
    """Shape after ``F.pad(x, pads, mode)`` (ranks already checked)."""
    dims = len(pads) // 2
    out = list(x)
    for i in range(dims):
        before, after = pads[2 * i], pads[2 * i + 1]
        axis = len(x) - 1 - i
        size = x[axis]
        if is_symbolic(size) and _ints((before, after)) and mode in ("constant", "reflect", "replicate", "circular"):
            out[axis] = _symbolic_rule(accepts, NON_POSITIVE_SIZE,
                                       lambda: f"{layer}: {mode} padding ({before}, {after}) fits no size of {size}",
                                       "pad", size, before, after, mode)
            continue
        if not _ints((size, before, after)):
            out[axis] = None
            continue
        _check_mode_padding(layer, mode, size, max(before, after))
        new = size + before + after
        if mode == "constant":
            # Constant padding crops (narrow) first, then pads: an empty result is allowed.
            if size + min(before, 0) + min(after, 0) < 0:
                raise _fail(
                    NON_POSITIVE_SIZE,
                    f"{layer}: padding ({before}, {after}) crops more than the size {size}",
                )
        elif new < 0:
            raise _fail(
                NON_POSITIVE_SIZE, f"{layer}: padding ({before}, {after}) makes size {size} into {new}"
            )
        out[axis] = new
    padded = out[len(out) - dims :]
    if mode in ("reflect", "replicate") and padded and all(d == 0 for d in padded):
        # The reflect/replicate kernels allow an empty padded dim only next to a non-empty one
        # (their check is output_w >= 1 || output_h >= 1 ...); circular allows any.
        raise _fail(
            NON_POSITIVE_SIZE, f"{layer}: padding {tuple(pads)} leaves nothing of {format_shape(x)}"
        )
    return tuple(out)


def _check_mode_padding(layer: str, mode: Any, size: int, pad: int) -> None:
    margin = formulas.mode_padding_margin(mode, size, pad)
    if margin is None or margin >= 0:
        return
    limit = "be smaller than" if mode == "reflect" else "not exceed"
    raise _fail(
        NON_POSITIVE_SIZE,
        f"{layer}: {mode} padding {pad} must {limit} the input size {size}",
    )


def _own_output_padding(value: Any, n: int, stride: Sequence[Any], dilation: Sequence[Any]):
    """The constructor's ``output_padding`` per dim when it is valid, else None.

    ``forward(x, output_size=...)`` never reads it; it only tells what the layer makes of an
    input on its own.
    """
    if is_known(value):
        value = (value,) * n
    if not isinstance(value, (tuple, list)) or len(value) not in (1, n) or not _ints(value):
        return None
    value = tuple(value) * (n // len(value))
    if not _ints(tuple(stride) + tuple(dilation)):
        return None
    if any(op < 0 or op >= max(s, d) for op, s, d in zip(value, stride, dilation)):
        return None
    return value


def _conv_transpose_requested(layer, n, x, requested, kernel, stride, pads, dilation, own_pads):
    """``forward(x, output_size=...)``: PyTorch accepts sizes in ``[min, min + stride - 1]``.

    ``own_pads``: the constructor's output padding when valid (else None), to tell an input too
    small for the layer itself (SHP105) from a request out of reach (SHP103).
    """
    if not isinstance(requested, (tuple, list)):
        return (None,) * n
    requested = tuple(requested)
    non_spatial = len(x) - n
    if len(requested) == non_spatial + n:
        requested = requested[non_spatial:]
    if len(requested) != n:
        raise _fail(
            INVALID_PARAMETERS,
            f"{layer}: output_size must have {n} or {non_spatial + n} elements,"
            f" got {len(requested)}",
        )
    out: List[Dim] = []
    refusals: List[Tuple[bool, ShapeError]] = []  # (no input size reaches it, error)
    for i, want in enumerate(requested):
        size = x[-n + i]
        out.append(want if is_known(want) else None)
        if not _ints((size, kernel[i], stride[i], pads[i], dilation[i], want)):
            continue
        low, high = formulas.conv_transpose_out_range(size, kernel[i], stride[i], pads[i], dilation[i])
        # The sizes reachable from some input are all those from the range of size 1 on.
        lowest = formulas.conv_transpose_out_range(1, kernel[i], stride[i], pads[i], dilation[i])[0]
        unreachable = want <= 0 or want < lowest
        if low <= want <= high and want <= 0:
            # In range of the formula, but no convolution makes an empty output: the request
            # itself is what torch rejects (a bigger input does not make it valid).
            refusals.append((True, _fail(
                INVALID_PARAMETERS,
                f"{layer}: output_size {want} is not positive (input size {size})",
            )))
        elif not low <= want <= high:
            refusals.append((unreachable, _fail(
                INVALID_PARAMETERS,
                f"{layer}: output_size {want} is outside the reachable range {low}..{high}"
                f" for input size {size}",
            )))
    if not refusals:
        return tuple(out)
    # An input from which the layer itself makes an empty size fails whatever is requested:
    # the input is too small (as without output_size), not the request out of reach.
    maybe_too_small = _check_own_output_sizes(layer, n, x, kernel, stride, pads, dilation, own_pads)
    certain = [error for unreachable, error in refusals if unreachable]
    if certain:
        raise certain[0]
    if maybe_too_small:
        # A dim of unknown size may be the one too small: which fault it is cannot be told.
        return tuple(out)
    raise refusals[0][1]


def _check_own_output_sizes(layer, n, x, kernel, stride, pads, dilation, own_pads) -> bool:
    """SHP105 where the layer, with its own output padding, gives a size <= 0 for ``x``.

    Returns whether a dim of unknown size would give a size <= 0 were that size 1.
    """
    if own_pads is None:
        return False
    maybe = False
    for size, k, s, pad, out_pad, d in zip(x[-n:], kernel, stride, pads, own_pads, dilation):
        _conv_dim(layer, True, size, k, s, pad, out_pad, d, "zeros")
        if not is_known(size) and _ints((k, s, pad, d)):
            maybe = maybe or formulas.conv_transpose_out(1, k, s, pad, out_pad, d) <= 0
    return maybe


def _conv_transpose_lint(layer: str, n: int) -> Callable[[Params], List[ShapeError]]:
    def lint(p: Params) -> List[ShapeError]:
        try:
            kernel = _as_tuple(p["kernel_size"], n, "kernel_size", layer)
            stride = _as_tuple(p["stride"], n, "stride", layer)
            pads = _as_tuple(p["padding"], n, "padding", layer)
            dilation = _as_tuple(p["dilation"], n, "dilation", layer)
        except ShapeError:
            return []
        found = []
        dims = list(zip(kernel, stride, pads, dilation))
        if any(_ints((k, s)) and s > 0 and k % s for k, s, _, _ in dims):
            found.append(
                _fail(
                    CHECKERBOARD,
                    f"{layer}: kernel_size={_show(kernel)} is not a multiple of"
                    f" stride={_show(stride)} (checkerboard artifacts)",
                )
            )
        if any(_ints((k, pd, d)) and formulas.crops_input(k, pd, d) for k, _, pd, d in dims):
            found.append(
                _fail(
                    CROPS_INPUT,
                    f"{layer}: padding={_show(pads)} crops more than the kernel covers"
                    f" (dilation*(kernel_size-1) = "
                    f"{_show([d * (k - 1) if _ints((k, d)) else '?' for k, _, _, d in dims])});"
                    " border inputs are lost",
                )
            )
        return found

    return lint


# --------------------------------------------------------------------------- pooling


def _pool_rule(layer: str, n: int, kind: str) -> ShapeRule:
    """``kind``: ``max`` (has dilation), ``avg`` (count_include_pad, divisor_override) or ``lp``."""

    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        # F.lp_pool2d/3d unpack kernel_size into exactly n values, and F.lp_pool1d multiplies
        # the output by kernel_size, which only works for an int.
        if kind == "lp" and n == 1 and isinstance(p["kernel_size"], (tuple, list)):
            raise _fail(INVALID_PARAMETERS, f"{layer}: kernel_size must be an int, got {p['kernel_size']!r}")
        kernel = _as_tuple(p["kernel_size"], n, "kernel_size", layer, single_ok=kind != "lp")
        stride_value = p["stride"]
        if stride_value is None or (isinstance(stride_value, (tuple, list)) and not stride_value):
            stride = kernel
        else:
            stride = _as_tuple(stride_value, n, "stride", layer)
        pads = _as_tuple(p.get("padding", 0), n, "padding", layer)
        dilation = _as_tuple(p.get("dilation", 1), n, "dilation", layer)
        ceil_mode = p["ceil_mode"]
        _check_positive(layer, "kernel_size", kernel)
        _check_positive(layer, "stride", stride)
        _check_positive(layer, "dilation", dilation)
        _check_non_negative(layer, "padding", pads)
        for k, pad in zip(kernel, pads):
            if _ints((k, pad)) and pad > k // 2:
                raise _fail(
                    INVALID_PARAMETERS,
                    f"{layer}: padding={_show(pads)} must be at most half of"
                    f" kernel_size={_show(kernel)}",
                )
        if kind == "avg" and p.get("divisor_override") == 0:
            raise _fail(INVALID_PARAMETERS, f"{layer}: divisor_override must not be zero")
        if x is None:
            return None
        _expect_rank(layer, x, _spatial_rule_ranks(n))
        out: List[Dim] = []
        for i, size in enumerate(x[-n:]):
            if is_symbolic(size):
                known = _ints((kernel[i], stride[i], pads[i], dilation[i])) and ceil_mode is not UNKNOWN
                out.append(_symbolic_rule(
                    p.get(ACCEPTS), NON_POSITIVE_SIZE,
                    lambda i=i, size=size: f"{layer}: no input size gives a positive output from {size}"
                    f" (kernel_size={kernel[i]}, stride={stride[i]}, padding={pads[i]})",
                    "pool", size, kernel[i], stride[i], pads[i], dilation[i], bool(ceil_mode),
                    n == 3 and kind != "max") if known else None)
                continue
            if n == 3 and kind != "max" and _ints((size, kernel[i])) and size < kernel[i]:
                # avg_pool3d (and so LPPool3d) checks the input without its padding.
                raise _fail(
                    NON_POSITIVE_SIZE,
                    f"{layer}: input size {size} is smaller than kernel_size={kernel[i]}"
                    " (the 3-d average pool ignores the padding here)",
                )
            if not _ints((size, kernel[i], stride[i], pads[i], dilation[i])) or ceil_mode is UNKNOWN:
                out.append(None)
                continue
            size_out = formulas.pool_out(size, kernel[i], stride[i], pads[i], dilation[i], bool(ceil_mode))
            if size_out <= 0:
                raise _fail(
                    NON_POSITIVE_SIZE,
                    f"{layer}: input size {size} gives output size {size_out}"
                    f" (kernel_size={kernel[i]}, stride={stride[i]}, padding={pads[i]})",
                )
            out.append(size_out)
        return tuple(x[:-n]) + tuple(out)

    return rule


def _adaptive_pool_rule(layer: str, n: int, average: bool) -> ShapeRule:
    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        output_size = p["output_size"]
        # None keeps an input size, but only inside the tuple of a 2-d/3-d adaptive pool.
        if output_size is None or (
            n == 1 and isinstance(output_size, (tuple, list)) and None in output_size
        ):
            raise _fail(INVALID_PARAMETERS, f"{layer}: output_size {output_size!r} has no size")
        sizes = _as_tuple(output_size, n, "output_size", layer, single_ok=False)
        # torch accepts 0 (an empty output) but no negative size.
        _check_non_negative(layer, "output_size", sizes)
        if x is None:
            return None
        # A tuple output_size first takes its None entries from the input, which needs more
        # dims than the tuple has.
        lowest_rank = n + 1 if isinstance(output_size, (tuple, list)) else n
        if average and n > 1 and len(x) >= lowest_rank and len(x) not in _spatial_rule_ranks(n):
            # ATen computes a 1x1(x1) adaptive average as a mean over the last n dims, which
            # takes any rank; every other output size needs the usual ranks.
            wanted = [size if want is None else want for size, want in zip(x[-n:], sizes)]
            if all(w == 1 for w in wanted):
                return tuple(x[:-n]) + (1,) * n
            if all(is_known(w) for w in wanted):
                _expect_rank(layer, x, _spatial_rule_ranks(n))
            return tuple(x[:-n]) + (None,) * n
        _expect_rank(layer, x, _spatial_rule_ranks(n))
        for dim in x[-n - 1 :] if len(x) == n + 2 else x:
            if is_known(dim) and dim == 0:
                raise _fail(NON_POSITIVE_SIZE, f"{layer}: input {format_shape(x)} has an empty dim")
        out: List[Dim] = []
        for size, want in zip(x[-n:], sizes):
            if want is None:
                out.append(size)
            else:
                out.append(want if is_known(want) else None)
        return tuple(x[:-n]) + tuple(out)

    return rule


# --------------------------------------------------------------------------- resizing

_UPSAMPLE_MODE_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_UPSAMPLE_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")


def interpolate_shape(
    layer: str,
    x: MaybeShape,
    size: Any,
    scale_factor: Any,
    mode: Any,
    align_corners: Any,
    recompute_scale_factor: Any = None,
    accepts: Optional[list] = None,
) -> MaybeShape:
    """The shape rule of ``F.interpolate`` (and so of ``nn.Upsample``)."""
    if mode is not UNKNOWN and mode not in _UPSAMPLE_MODES:
        raise _fail(INVALID_PARAMETERS, f"{layer}: unknown mode {mode!r}")
    if size is not None and scale_factor is not None and _known(size, scale_factor):
        raise _fail(INVALID_PARAMETERS, f"{layer}: only one of size or scale_factor may be given")
    if size is None and scale_factor is None:
        raise _fail(INVALID_PARAMETERS, f"{layer}: either size or scale_factor must be given")
    if size not in (None, UNKNOWN) and _truthy(recompute_scale_factor):
        raise _fail(
            INVALID_PARAMETERS, f"{layer}: recompute_scale_factor is not meaningful with a size"
        )
    # mode='area' is an adaptive average pool, which makes an empty output of a size 0.
    lowest = 0 if mode in ("area", UNKNOWN) else 1
    for name, value in (("size", size), ("scale_factor", scale_factor)):
        items = value if isinstance(value, (tuple, list)) else (value,)
        if any(_number(v) and (v < 0 or v == 0 < lowest) for v in items):
            raise _fail(INVALID_PARAMETERS, f"{layer}: {name} must be positive, got {value!r}")
        if isinstance(value, (tuple, list)) and not 1 <= len(value) <= 3:
            # interpolate only takes 3-D to 5-D inputs: 1 to 3 spatial sizes.
            raise _fail(INVALID_PARAMETERS, f"{layer}: {name} has {len(value)} values, not 1 to 3")
        # A mode that fixes the rank (bilinear: 4-D) fixes the number of sizes too.
        if isinstance(value, (tuple, list)) and mode in _UPSAMPLE_MODE_RANK:
            if len(value) != _UPSAMPLE_MODE_RANK[mode] - 2:
                raise _fail(
                    INVALID_PARAMETERS,
                    f"{layer}: mode={mode!r} takes {_UPSAMPLE_MODE_RANK[mode] - 2} sizes,"
                    f" {name} has {len(value)}",
                )
    if align_corners not in (None, UNKNOWN) and mode in ("nearest", "area", "nearest-exact"):
        raise _fail(
            INVALID_PARAMETERS,
            f"{layer}: align_corners can only be set with the linear, bilinear, bicubic or"
            f" trilinear modes, not mode={mode!r}",
        )
    if x is None:
        return None
    _expect_rank(layer, x, (3, 4, 5))
    if mode in _UPSAMPLE_MODE_RANK and len(x) != _UPSAMPLE_MODE_RANK[mode]:
        raise _fail(
            WRONG_RANK,
            f"{layer}: mode={mode!r} needs a {_UPSAMPLE_MODE_RANK[mode]}-D input,"
            f" got {len(x)}-D {format_shape(x)}",
        )
    n = len(x) - 2
    if size is UNKNOWN or scale_factor is UNKNOWN:
        return tuple(x[:2]) + (None,) * n
    if size is not None:
        if isinstance(size, (tuple, list)) and len(size) != n:
            raise _fail(
                WRONG_RANK,
                f"{layer}: size has {len(size)} values but the input has {n} spatial dims",
            )
        sizes = _as_tuple(size, n, "size", layer)
        out = tuple(s if is_known(s) else None for s in sizes)
    else:
        if isinstance(scale_factor, (tuple, list)) and len(scale_factor) != n:
            raise _fail(
                WRONG_RANK,
                f"{layer}: scale_factor has {len(scale_factor)} values but the input has"
                f" {n} spatial dims",
            )
        scales = _as_tuple(scale_factor, n, "scale_factor", layer)
        out = tuple(
            math.floor(float(dim) * float(scale))
            if is_known(dim) and isinstance(scale, (int, float)) and not isinstance(scale, bool)
            else _symbolic_rule(accepts, NON_POSITIVE_SIZE,
                                lambda scale=scale: f"{layer}: scale_factor={scale} gives an empty output for every size",
                                "interpolate", dim, float(scale), None, "area" if lowest == 0 else "nearest")
            if is_symbolic(dim) and isinstance(scale, (int, float)) and not isinstance(scale, bool)
            else None
            for dim, scale in zip(x[2:], scales)
        )
    if any(is_known(o) and o < lowest for o in out):
        raise _fail(NON_POSITIVE_SIZE, f"{layer}: output size {format_shape(out)} is not positive")
    return tuple(x[:2]) + out


def _upsample_rule(layer: str, fixed_mode: Optional[str] = None, align: Any = None) -> ShapeRule:
    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        mode = fixed_mode or p.get("mode", "nearest")
        align_corners = align if fixed_mode else p.get("align_corners")
        scale = p["scale_factor"]
        # nn.Upsample stores float(scale_factor) if scale_factor else None: a zero scale is
        # no scale at all, and a list (not a tuple) cannot be made a float.
        if isinstance(scale, list):
            raise _fail(INVALID_PARAMETERS, f"{layer}: scale_factor must be a number or a tuple, not a list")
        if _number(scale) and not scale:
            scale = None
        return interpolate_shape(
            layer, x, p["size"], scale, mode, align_corners, p.get("recompute_scale_factor"),
            accepts=p.get(ACCEPTS),
        )

    return rule


def _pixel_shuffle_rule(layer: str, upscale: bool) -> ShapeRule:
    factor_name = "upscale_factor" if upscale else "downscale_factor"

    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        r = p[factor_name]
        _check_positive(layer, factor_name, (r,))
        if x is None:
            return None
        _expect_min_rank(layer, x, 3)
        c, h, w = x[-3:]
        if not is_known(r):
            return tuple(x[:-3]) + (None, None, None)
        if upscale:
            if is_known(c) and c % (r * r):
                raise _fail(
                    CHANNEL_MISMATCH,
                    f"{layer}: {c} channels are not divisible by upscale_factor**2 = {r * r}",
                )
            new = (c // (r * r) if is_known(c) else None,
                   *(_shuffled(p.get(ACCEPTS), layer, "pixel_shuffle", size, r) for size in (h, w)))
        else:
            for size in (h, w):
                if is_known(size) and size % r:
                    raise _fail(
                        INVALID_PARAMETERS,
                        f"{layer}: spatial size {size} is not divisible by downscale_factor={r}",
                    )
            new = (c * r * r if is_known(c) else None,
                   *(_shuffled(p.get(ACCEPTS), layer, "pixel_unshuffle", size, r) for size in (h, w)))
        return tuple(x[:-3]) + new

    return rule


def _shuffled(accepts: Optional[list], layer: str, formula: str, size: Dim, r: int) -> Dim:
    """One spatial size after a pixel (un)shuffle by ``r`` (its divisibility already checked
    for a known size)."""
    if is_known(size):
        return size * r if formula == "pixel_shuffle" else size // r
    if is_symbolic(size):
        return _symbolic_rule(accepts, INVALID_PARAMETERS,
                              lambda: f"{layer}: no spatial size {size} is divisible by downscale_factor={r}",
                              formula, size, r)
    return None


# --------------------------------------------------------------------------- reshaping


def flatten_shape(layer: str, x: MaybeShape, start_dim: Any, end_dim: Any,
                  accepts: Optional[list] = None) -> MaybeShape:
    """``torch.flatten(x, start_dim, end_dim)``."""
    if x is None or not _known(start_dim, end_dim):
        return None
    rank = max(len(x), 1)
    start = normalize_dim_index(start_dim, rank)
    end = normalize_dim_index(end_dim, rank)
    if start is None or end is None:
        raise _fail(
            WRONG_RANK,
            f"{layer}: dims {start_dim}..{end_dim} out of range for a {len(x)}-D input"
            f" {format_shape(x)}",
        )
    if start > end:
        raise _fail(INVALID_PARAMETERS, f"{layer}: start_dim {start_dim} comes after end_dim {end_dim}")
    if not x:
        return (1,)
    middle = x[start : end + 1]
    product: Dim = math.prod(middle) if _ints(middle) else _symbolic_product(middle)
    return tuple(x[:start]) + (product,) + tuple(x[end + 1 :])


def _symbolic_product(sizes: Sequence[Dim]) -> Dim:
    """The exact product of known and symbolic sizes (``3*h*w``); None when one is unknown or
    the product is out of reach (``h*h``)."""
    if any(d is None or not (is_known(d) or is_symbolic(d)) for d in sizes):
        return None
    from . import symbolic_formulas

    try:
        return from_expression(symbolic_formulas.flatten([as_expression(d) for d in sizes]))
    except (ValueError, TypeError, ArithmeticError):
        return None


def _flatten_rule(p: Params, x: MaybeShape) -> MaybeShape:
    return flatten_shape("Flatten", x, p["start_dim"], p["end_dim"], p.get(ACCEPTS))


def _unflatten_rule(p: Params, x: MaybeShape) -> MaybeShape:
    dim, sizes = p["dim"], p["unflattened_size"]
    if x is None or not _known(dim, sizes) or not isinstance(sizes, (tuple, list)):
        return None
    index = normalize_dim_index(dim, len(x))
    if index is None:
        raise _fail(WRONG_RANK, f"Unflatten: dim {dim} out of range for {format_shape(x)}")
    sizes = tuple(s if is_known(s) else None for s in sizes)
    if sum(1 for s in sizes if s == -1) > 1:
        raise _fail(INVALID_PARAMETERS, "Unflatten: only one size may be -1")
    if any(is_known(s) and (s == 0 or s < -1) for s in sizes):
        # No input of positive sizes splits into an empty or negative size.
        raise _fail(INVALID_PARAMETERS, f"Unflatten: unflattened_size {_show(sizes)} has a size below 1")
    arriving = x[index]
    known_product = math.prod(s for s in sizes if is_known(s) and s != -1)
    if -1 in sizes:
        if is_known(arriving) and None not in sizes:
            if known_product == 0 or arriving % known_product:
                raise _fail(
                    CHANNEL_MISMATCH,
                    f"Unflatten: size {arriving} cannot be split into {_show(sizes)}",
                )
            sizes = tuple(arriving // known_product if s == -1 else s for s in sizes)
        else:
            sizes = tuple(None if s == -1 else s for s in sizes)
    elif is_known(arriving) and None not in sizes and known_product != arriving:
        raise _fail(
            CHANNEL_MISMATCH,
            f"Unflatten: unflattened_size {_show(sizes)} has {known_product} elements but"
            f" {arriving} arrive at dim {dim}",
        )
    return tuple(x[:index]) + sizes + tuple(x[index + 1 :])


def _identity_rule(p: Params, x: MaybeShape) -> MaybeShape:
    return x


def _linear_rule(lazy: bool) -> ShapeRule:
    layer = "LazyLinear" if lazy else "Linear"

    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        if not lazy:
            # No input of positive size fits an empty weight; an empty output is fine.
            _check_positive(layer, "in_features", (p["in_features"],))
        _check_non_negative(layer, "out_features", (p["out_features"],))
        if x is None:
            return None
        _expect_min_rank(layer, x, 1)
        if not lazy:
            _check_channels(layer, "in_features", p["in_features"], x[-1], "features", accepts=p.get(ACCEPTS))
        out = p["out_features"]
        return tuple(x[:-1]) + (out if is_known(out) else None,)

    return rule


def _embedding_rule(p: Params, x: MaybeShape) -> MaybeShape:
    count, dim, padding_idx = p["num_embeddings"], p["embedding_dim"], p["padding_idx"]
    # No index is valid in an empty table; a 0-wide embedding is fine (an empty last dim).
    _check_positive("Embedding", "num_embeddings", (count,))
    _check_non_negative("Embedding", "embedding_dim", (dim,))
    if _ints((count, padding_idx)) and not -count <= padding_idx < count:
        raise _fail(
            INVALID_PARAMETERS,
            f"Embedding: padding_idx={padding_idx} is outside num_embeddings={count}",
        )
    if x is None:
        return None
    return tuple(x) + (dim if is_known(dim) else None,)


# --------------------------------------------------------------------------- normalisation


def _one_value_per_channel(x: Shape, lead: Sequence[Dim]) -> bool:
    """Whether ``lead`` times the spatial sizes is certainly 1 (torch's ``_verify_batch_size``)."""
    dims = tuple(lead) + tuple(x[2:])
    return _ints(dims) and math.prod(dims) == 1


def _batch_norm_rule(layer: str, ranks: Tuple[int, ...], lazy: bool) -> ShapeRule:
    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        # Without weights or running stats there is nothing sized num_features to disagree with.
        sized = _truthy(p["affine"]) or _truthy(p["track_running_stats"])
        if not lazy and sized:
            _check_positive(layer, "num_features", (p["num_features"],))
        if x is None:
            return None
        _expect_rank(layer, x, ranks)
        if not lazy and sized:
            _check_channels(layer, "num_features", p["num_features"], x[1], accepts=p.get(ACCEPTS))
        # Without running stats, eval mode normalises with the batch statistics, which need
        # more than one value per channel. (In training mode every BatchNorm needs that; the
        # rules here are those of eval mode.)
        if p["track_running_stats"] is False and _one_value_per_channel(x, x[:1]):
            raise _fail(
                NON_POSITIVE_SIZE,
                f"{layer}: input {format_shape(x)} has one value per channel, too few for batch"
                " statistics (track_running_stats=False)",
            )
        return x

    return rule


def _instance_norm_rule(layer: str, n: int, lazy: bool) -> ShapeRule:
    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        # num_features sizes the affine weights and the running stats; with neither, PyTorch
        # only warns on a mismatch.
        sized = _truthy(p["affine"]) or _truthy(p["track_running_stats"])
        if not lazy and sized:
            _check_positive(layer, "num_features", (p["num_features"],))
        if x is None:
            return None
        _expect_rank(layer, x, _spatial_rule_ranks(n))
        # A lazy layer takes num_features from input.shape[1], even from an unbatched
        # (C, *spatial) input, where that is the first spatial size: sized weights or stats
        # then disagree with the channels.
        if lazy and sized and len(x) == n + 1 and all(is_known(d) for d in x[:2]) and x[0] != x[1]:
            raise _fail(
                WRONG_RANK,
                f"{layer} takes num_features from dim 1, a spatial size of the unbatched input"
                f" {format_shape(x)}: batch the input",
            )
        if sized and not lazy:
            _check_channels(layer, "num_features", p["num_features"], x[-n - 1], accepts=p.get(ACCEPTS))
        # Instance statistics (always in training, in eval without running stats) need more
        # than one spatial element.
        spatial = x[-n:]
        if p["track_running_stats"] is False and _ints(spatial) and math.prod(spatial) == 1:
            raise _fail(
                NON_POSITIVE_SIZE,
                f"{layer}: input {format_shape(x)} has a single spatial element, too few for"
                " instance statistics",
            )
        return x

    return rule


def _group_norm_rule(p: Params, x: MaybeShape) -> MaybeShape:
    groups, channels, affine = p["num_groups"], p["num_channels"], _truthy(p["affine"])
    _check_positive("GroupNorm", "num_groups", (groups,))
    if affine:
        _check_positive("GroupNorm", "num_channels", (channels,))
    if _ints((groups, channels)) and channels % groups:
        raise _fail(
            INVALID_PARAMETERS,
            f"GroupNorm: num_channels={channels} is not divisible by num_groups={groups}",
        )
    if x is None:
        return None
    _expect_min_rank("GroupNorm", x, 2)
    if affine:
        _check_channels("GroupNorm", "num_channels", channels, x[1], accepts=p.get(ACCEPTS))
    if is_known(x[1]) and is_known(groups) and x[1] % groups:
        raise _fail(
            CHANNEL_MISMATCH, f"GroupNorm: {x[1]} channels are not divisible by num_groups={groups}"
        )
    # F.group_norm always checks for more than one value per (sample, group) statistic.
    if _ints((x[0], x[1], groups)) and _one_value_per_channel(x, (x[0] * x[1] // groups,)):
        raise _fail(
            NON_POSITIVE_SIZE,
            f"GroupNorm: input {format_shape(x)} gives one value per group statistic",
        )
    return x


def _normalized_shape_rule(layer: str) -> ShapeRule:
    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        normalized = p["normalized_shape"]
        if normalized is UNKNOWN:
            return x
        normalized = tuple(normalized) if isinstance(normalized, (tuple, list)) else (normalized,)
        if not normalized:
            raise _fail(INVALID_PARAMETERS, f"{layer}: normalized_shape must not be empty")
        _check_positive(layer, "normalized_shape", normalized)
        if x is None:
            return x
        if len(normalized) > len(x):
            raise _fail(
                WRONG_RANK,
                f"{layer}: normalized_shape {_show(normalized)} has more dims than the input"
                f" {format_shape(x)}",
            )
        tail = x[len(x) - len(normalized) :]
        if any(is_known(a) and is_known(b) and a != b for a, b in zip(normalized, tail)):
            fix = list(tail) if _ints(tail) else None
            raise _fail(
                CHANNEL_MISMATCH,
                f"{layer}: normalized_shape {_show(normalized)} does not match the last dims"
                f" {format_shape(tail)} of the input",
                **({"normalized_shape": fix[0] if len(fix) == 1 else fix} if fix else {}),
            )
        return x

    return rule


# --------------------------------------------------------------------------- padding layers


def _pad_rule(layer: str, n: int, mode: str) -> ShapeRule:
    """``F.pad(x, padding, mode)``; an int pads all n dims, a tuple is passed on as given.

    A tuple of another length than 2n pads the last ``len(padding) // 2`` dims instead (torch
    does not check it against n). Only ``CircularPad`` checks the input rank itself; constant
    padding takes any rank, the other modes the ranks F.pad supports.
    """

    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        padding = p["padding"]
        if padding is UNKNOWN:
            return None if x is None else (None,) * len(x)
        pads = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * (2 * n)
        if len(pads) % 2:
            raise _fail(INVALID_PARAMETERS, f"{layer}: padding has an odd number of values, {len(pads)}")
        dims = len(pads) // 2
        if mode != "constant":
            _fpad_dims(layer, dims, usual_rank=n + 2)
        if x is None:
            return None
        if mode == "circular":
            _expect_rank(layer, x, _spatial_rule_ranks(n))
        if mode != "constant":
            _fpad_dims(layer, dims, len(x), usual_rank=n + 2)
        elif dims > len(x):
            raise _fail(
                WRONG_RANK, f"{layer}: padding {dims} dims of a {len(x)}-D input {format_shape(x)}"
            )
        return _fpad_shape(layer, x, pads, mode, p.get(ACCEPTS))

    return rule


# --------------------------------------------------------------------------- activations, dropout


def _softmax_rule(layer: str) -> ShapeRule:
    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        dim = p["dim"]
        if x is not None and is_known(dim) and normalize_dim_index(dim, max(len(x), 1)) is None:
            raise _fail(WRONG_RANK, f"{layer}: dim={dim} out of range for {format_shape(x)}")
        return x

    return rule


def _softmax2d_rule(p: Params, x: MaybeShape) -> MaybeShape:
    if x is not None:
        _expect_rank("Softmax2d", x, (3, 4))
    return x


def _glu_rule(p: Params, x: MaybeShape) -> MaybeShape:
    dim = p["dim"]
    if x is None or not is_known(dim):
        return None if x is None else tuple(None for _ in x)
    index = normalize_dim_index(dim, len(x))
    if index is None:
        raise _fail(WRONG_RANK, f"GLU: dim={dim} out of range for {format_shape(x)}")
    size = x[index]
    if is_known(size) and size % 2:
        raise _fail(INVALID_PARAMETERS, f"GLU: size {size} at dim {dim} must be even to halve")
    return tuple(x[:index]) + (size // 2 if is_known(size) else None,) + tuple(x[index + 1 :])


def _prelu_rule(p: Params, x: MaybeShape) -> MaybeShape:
    count = p["num_parameters"]
    _check_positive("PReLU", "num_parameters", (count,))
    if x is None or not is_known(count) or count == 1:
        return x
    # With more than one weight torch refuses a zero-dim input.
    _expect_min_rank("PReLU", x, 1)
    # The weights go along dim 1; an input of fewer dims has a single channel.
    channels = x[1] if len(x) >= 2 else 1
    _check_channels("PReLU", "num_parameters", count, channels, accepts=p.get(ACCEPTS))
    return x


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _activation_rule(layer: str) -> ShapeRule:
    """Element-wise activations: the shape stays; only some parameter values are rejected."""

    def bad(message: str) -> ShapeError:
        return _fail(INVALID_PARAMETERS, f"{layer}: {message}")

    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        if layer == "CELU" and _number(p["alpha"]) and p["alpha"] == 0:
            raise bad("alpha must not be 0 (CELU divides by it)")
        if layer == "GELU" and isinstance(p["approximate"], str) and p["approximate"] not in ("none", "tanh"):
            raise bad(f"approximate must be 'none' or 'tanh', got {p['approximate']!r}")
        if layer == "Softshrink" and _number(p["lambd"]) and p["lambd"] < 0:
            raise bad(f"lambd must not be negative, got {p['lambd']}")
        if layer == "RReLU" and _number(p["lower"]) and _number(p["upper"]) and p["lower"] > p["upper"]:
            raise bad(f"lower={p['lower']} is above upper={p['upper']}")
        if layer == "Hardtanh":
            # The deprecated min_value / max_value replace min_val / max_val when given.
            low = p["min_val"] if p["min_value"] is None else p["min_value"]
            high = p["max_val"] if p["max_value"] is None else p["max_value"]
            if _number(low) and _number(high) and high <= low:
                raise bad(f"max_val={high} must be greater than min_val={low}")
        return x

    return rule


def _dropout_rule(layer: str, ranks: Optional[Tuple[int, ...]]) -> ShapeRule:
    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        rate = p["p"]
        if isinstance(rate, (int, float)) and not 0 <= rate <= 1:
            raise _fail(INVALID_PARAMETERS, f"{layer}: p={rate} must be between 0 and 1")
        if x is not None and ranks:
            _expect_rank(layer, x, ranks)
        return x

    return rule


def _local_response_norm_rule(p: Params, x: MaybeShape) -> MaybeShape:
    # size is the kernel of an average pool over the channels.
    _check_positive("LocalResponseNorm", "size", (p["size"],))
    if x is not None:
        _expect_min_rank("LocalResponseNorm", x, 3)
    return x


# --------------------------------------------------------------------------- recurrent layers


def _plain_number(value: Any) -> bool:
    """A literal int/float/str as evaluated (not UNKNOWN, not a symbolic or opaque value)."""
    return isinstance(value, (int, float, str))


def _dim_or_none(value: Any) -> Dim:
    return value if is_known(value) else None


def _times(a: Dim, b: Dim) -> Dim:
    return a * b if is_known(a) and is_known(b) else None


def _rnn_rule(layer: str) -> ShapeRule:
    """RNN, LSTM, GRU: ``(L, N, H_in)`` (or ``(N, L, H_in)`` with batch_first, or unbatched
    ``(L, H_in)``) -> the same with ``D * H_out`` features (``D`` 2 when bidirectional,
    ``H_out`` proj_size when set, else hidden_size)."""

    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        dropout, bias, batch_first = p["dropout"], p["bias"], p["batch_first"]
        if _plain_number(dropout) and (isinstance(dropout, str) or isinstance(dropout, bool)
                                       or not 0 <= dropout <= 1):
            raise _fail(INVALID_PARAMETERS, f"{layer}: dropout={dropout!r} must be a number between 0 and 1")
        for name, value in (("bias", bias), ("batch_first", batch_first)):
            if _plain_number(value) and not isinstance(value, bool):
                raise _fail(INVALID_PARAMETERS, f"{layer}: {name} must be a bool, got {value!r}")
        for name in ("input_size", "hidden_size"):
            value = p[name]
            if _plain_number(value) and not isinstance(value, bool) and not isinstance(value, int):
                raise _fail(INVALID_PARAMETERS, f"{layer}: {name} must be an int, got {value!r}")
        _check_positive(layer, "input_size", (p["input_size"],))
        _check_positive(layer, "hidden_size", (p["hidden_size"],))
        _check_positive(layer, "num_layers", (p["num_layers"],))
        hidden, proj = p["hidden_size"], p.get("proj_size", 0)
        _check_non_negative(layer, "proj_size", (proj,))
        if _ints((proj, hidden)) and proj >= hidden:
            raise _fail(INVALID_PARAMETERS,
                        f"{layer}: proj_size={proj} must be smaller than hidden_size={hidden}")
        if layer == "RNN":
            _check_nonlinearity(layer, p["nonlinearity"])
        if x is None:
            return None
        _expect_rank(layer, x, (2, 3))
        _check_channels(layer, "input_size", p["input_size"], x[-1], "features", accepts=p.get(ACCEPTS))
        return tuple(x[:-1]) + (_rnn_features(p),)

    return rule


def _rnn_directions(p: Params) -> Optional[int]:
    bidirectional = p["bidirectional"]
    if bidirectional is UNKNOWN or not isinstance(bidirectional, (bool, int)):
        return None
    return 2 if bidirectional else 1


def _rnn_hidden_out(p: Params) -> Dim:
    proj = p.get("proj_size", 0)
    if not is_known(proj):
        return None
    return _dim_or_none(proj if proj > 0 else p["hidden_size"])


def _rnn_features(p: Params) -> Dim:
    return _times(_rnn_directions(p), _rnn_hidden_out(p))


def _rnn_results(layer: str) -> Callable[[Params, MaybeShape, MaybeShape], Any]:
    """``(output, h_n)``, and for the LSTM ``(output, (h_n, c_n))``; ``h_n`` is
    ``(D * num_layers, N, H_out)`` whatever batch_first is (``(D * num_layers, H_out)`` unbatched);
    ``c_n`` has hidden_size features."""

    def results(p: Params, x: MaybeShape, out: MaybeShape) -> Any:
        state: Callable[[Dim], MaybeShape] = lambda features: None
        if x is not None and len(x) in (2, 3) and out is not None:
            layers = _times(_rnn_directions(p), _dim_or_none(p["num_layers"]))
            if len(x) == 2:
                state = lambda features: (layers, features)
            else:
                first = p["batch_first"]
                batch = x[0] if first is True else x[1] if first is False else None
                state = lambda features: (layers, batch, features)
        h_n = TensorResult(state(_rnn_hidden_out(p)))
        if layer == "LSTM":
            return (TensorResult(out), (h_n, TensorResult(state(_dim_or_none(p["hidden_size"])))))
        return (TensorResult(out), h_n)

    return results


def _check_nonlinearity(layer: str, nonlinearity: Any) -> None:
    """RNN and RNNCell take only tanh or relu."""
    if isinstance(nonlinearity, str) and nonlinearity not in ("tanh", "relu"):
        raise _fail(INVALID_PARAMETERS, f"{layer}: nonlinearity={nonlinearity!r} is not 'tanh' or 'relu'")


def _rnn_cell_rule(layer: str) -> ShapeRule:
    """RNNCell, LSTMCell, GRUCell: ``(N, input_size)`` or ``(input_size,)`` -> hidden_size."""

    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        _check_non_negative(layer, "input_size", (p["input_size"],))
        _check_non_negative(layer, "hidden_size", (p["hidden_size"],))
        if layer == "RNNCell":
            _check_nonlinearity(layer, p["nonlinearity"])
        if x is None:
            return None
        _expect_rank(layer, x, (1, 2))
        _check_channels(layer, "input_size", p["input_size"], x[-1], "features", accepts=p.get(ACCEPTS))
        return tuple(x[:-1]) + (_dim_or_none(p["hidden_size"]),)

    return rule


def _lstm_cell_results(p: Params, x: MaybeShape, out: MaybeShape) -> Any:
    return (TensorResult(out), TensorResult(out))


# --------------------------------------------------------------------------- attention


def _check_heads(layer: str, embed_name: str, embed: Any, heads_name: str, heads: Any) -> None:
    """MultiheadAttention's constructor checks (also run by the transformer layers)."""
    if any(is_known(v) and v <= 0 for v in (embed, heads)):
        raise _fail(INVALID_PARAMETERS,
                    f"{layer}: {embed_name}={embed} and {heads_name}={heads} must be greater than 0")
    if _ints((embed, heads)) and embed % heads:
        raise _fail(INVALID_PARAMETERS,
                    f"{layer}: {embed_name}={embed} is not divisible by {heads_name}={heads}")


def _features_mismatch(layer: str, param: str, expected: Any, arriving: Dim, what: str) -> None:
    """SHP102 without a fix: changing the width of an attention layer changes its output too."""
    if is_known(expected) and is_known(arriving) and expected != arriving:
        raise _fail(
            CHANNEL_MISMATCH,
            f"{layer} expects {what} of {expected} features ({param}={expected}) but {arriving} arrive",
        )


def _tensor_shape(value: Any) -> MaybeShape:
    """A tensor argument's shape as the rule gets it: None unless its shape is known."""
    return tuple(value) if isinstance(value, tuple) else None


def _certainly_differ(a: Dim, b: Dim) -> bool:
    return is_known(a) and is_known(b) and a != b


def _mha_rule(p: Params, x: MaybeShape) -> MaybeShape:
    layer = "MultiheadAttention"
    embed = p["embed_dim"]
    _check_heads(layer, "embed_dim", embed, "num_heads", p["num_heads"])
    if x is None:
        return None
    _expect_rank(layer, x, (2, 3))
    _features_mismatch(layer, "embed_dim", embed, x[-1], "a query")
    key, value = _tensor_shape(p.get("key")), _tensor_shape(p.get("value"))
    kdim = embed if p["kdim"] is None else p["kdim"]
    vdim = embed if p["vdim"] is None else p["vdim"]
    for name, shape in (("key", key), ("value", value)):
        if shape is not None and len(shape) != len(x):
            raise _fail(WRONG_RANK, f"{layer}: a {len(x)}-D query needs a {len(x)}-D {name},"
                        f" got {len(shape)}-D {format_shape(shape)}")
    if key is not None:
        _features_mismatch(layer, "kdim", kdim, key[-1], "a key")
    if value is not None:
        _features_mismatch(layer, "vdim", vdim, value[-1], "a value")
    # Batch and sequence sizes that disagree fail in torch too, but in ways not modelled here:
    # the output is then unknown rather than reported.
    if key is not None and value is not None:
        if any(_certainly_differ(a, b) for a, b in zip(key[:-1], value[:-1])):
            return None
    if key is not None and len(x) == 3:
        batch = 0 if p["batch_first"] is True else 1 if p["batch_first"] is False else None
        if batch is None or _certainly_differ(x[batch], key[batch]):
            return None
    return tuple(x[:-1]) + (_dim_or_none(embed),)


def _mha_results(p: Params, x: MaybeShape, out: MaybeShape) -> Any:
    """``(attn_output, attn_weights)``: weights None with need_weights=False, else
    ``(N, L, S)`` averaged over heads or ``(N, num_heads, L, S)`` (no N unbatched)."""
    need = p.get("need_weights")
    need = True if need is None else need
    if need is False:
        return (TensorResult(out), None)
    if not isinstance(need, bool):
        return (TensorResult(out), UNKNOWN)
    weights: MaybeShape = None
    key = _tensor_shape(p.get("key"))
    average = p.get("average_attn_weights")
    average = True if average is None else average
    first = p["batch_first"]
    if (out is not None and key is not None and len(key) == len(out) and isinstance(average, bool)
            and isinstance(first, bool)):
        extra = [p["add_bias_kv"], p["add_zero_attn"]]
        source = key[1] if first and len(key) == 3 else key[0]
        if all(isinstance(e, bool) for e in extra) and is_known(source):
            source += sum(extra)
        elif not all(e is False for e in extra):
            source = None
        length = out[1] if first and len(out) == 3 else out[0]
        heads = () if average else (_dim_or_none(p["num_heads"]),)
        batch = () if len(out) == 2 else (out[0] if first else out[1],)
        weights = batch + heads + (length, source)
    return (TensorResult(out), TensorResult(weights))


def _attention_submodule(name: str, x: MaybeShape, out: MaybeShape) -> Submodule:
    return Submodule(name, "MultiheadAttention", x is not None, x, out,
                     (Submodule("out_proj", "NonDynamicallyQuantizableLinear"),))


def _mha_submodules(p: Params, x: MaybeShape, out: MaybeShape) -> Tuple[Submodule, ...]:
    return _attention_submodule("", None, None).children


def _transformer_submodules(decoder: bool) -> Callable[[Params, MaybeShape, MaybeShape], Tuple[Submodule, ...]]:
    """As built by torch, with the shapes of the path that calls each as a module (PyTorch's
    fused inference path calls none of them)."""

    def submodules(p: Params, x: MaybeShape, out: MaybeShape) -> Tuple[Submodule, ...]:
        called = x is not None and out is not None
        hidden: MaybeShape = None
        if called:
            hidden = tuple(out[:-1]) + (_dim_or_none(p["dim_feedforward"]),)

        def same(name: str, type_name: str) -> Submodule:
            return Submodule(name, type_name, called, out if called else None, out if called else None)

        attention = (_attention_submodule("self_attn", out if called else None, out if called else None),)
        if decoder:
            attention += (_attention_submodule("multihead_attn", out if called else None,
                                               out if called else None),)
        count = 3 if decoder else 2
        return attention + (
            Submodule("linear1", "Linear", called, out if called else None, hidden),
            Submodule("dropout", "Dropout", called, hidden, hidden),
            Submodule("linear2", "Linear", called, hidden, out if called else None),
        ) + tuple(same(f"norm{i}", "LayerNorm") for i in range(1, count + 1)) + tuple(
            same(f"dropout{i}", "Dropout") for i in range(1, count + 1))

    return submodules


def _transformer_model_submodules(p: Params, x: MaybeShape, out: MaybeShape) -> Tuple[Submodule, ...]:
    """nn.Transformer's encoder and decoder stacks, each ending in a LayerNorm. A custom encoder
    or decoder, or a layer count not known, leaves the submodules unknown (none listed)."""
    counts = (p["num_encoder_layers"], p["num_decoder_layers"])
    if p["custom_encoder"] is not None or p["custom_decoder"] is not None or not _ints(counts):
        return ()
    called = x is not None and out is not None
    memory = tuple(x[:-1]) + (_dim_or_none(p["d_model"]),) if called else None
    stacks = []
    for name, kind, count, shape, decoder in (("encoder", "TransformerEncoder", counts[0], memory, False),
                                              ("decoder", "TransformerDecoder", counts[1], out, True)):
        known = called and shape is not None
        layer_children = _transformer_submodules(decoder)(p, shape if known else None, shape)
        layers = tuple(
            Submodule(str(i), kind + "Layer", known, shape if known else None, shape if known else None,
                      layer_children)
            for i in range(max(count, 0))
        )
        stacks.append(Submodule(name, kind, known, shape if known else None, shape if known else None, (
            Submodule("layers", "ModuleList", False, None, None, layers),
            Submodule("norm", "LayerNorm", known, shape if known else None, shape if known else None),
        )))
    return tuple(stacks)


def _transformer_model_rule(p: Params, x: MaybeShape) -> MaybeShape:
    """nn.Transformer: forward(src, tgt) -> tgt's shape (d_model features)."""
    layer = "Transformer"
    d_model = p["d_model"]
    builds = p["custom_encoder"] is None or p["custom_decoder"] is None
    if builds:
        _check_heads(layer, "d_model", d_model, "nhead", p["nhead"])
        activation = p["activation"]
        if isinstance(activation, str) and activation not in _ACTIVATION_NAMES:
            raise _fail(INVALID_PARAMETERS, f"{layer}: activation={activation!r} is not 'relu' or 'gelu'")
        rate = p["dropout"]
        if isinstance(rate, (int, float)) and not isinstance(rate, bool) and not 0 <= rate <= 1:
            raise _fail(INVALID_PARAMETERS, f"{layer}: dropout={rate} must be between 0 and 1")
    for part, name in (("custom_encoder", "num_encoder_layers"), ("custom_decoder", "num_decoder_layers")):
        # The encoder's and decoder's forward read their first layer: an empty stack fails.
        if p[part] is None and is_known(p[name]) and p[name] <= 0:
            raise _fail(INVALID_PARAMETERS, f"{layer}: {name}={p[name]} builds no layer to run")
    if x is None:
        return None
    tgt = _tensor_shape(p.get("tgt"))
    first = p["batch_first"]
    if tgt is not None and len(x) == 3 and len(tgt) == 3 and isinstance(first, bool):
        batch = 0 if first else 1
        if _certainly_differ(x[batch], tgt[batch]):
            raise _fail(INCOMPATIBLE_SHAPES,
                        f"{layer}: the batch of src ({x[batch]}) and of tgt ({tgt[batch]}) differ")
    if x:
        _features_mismatch(layer, "d_model", d_model, x[-1], "a src")
    if tgt:
        _features_mismatch(layer, "d_model", d_model, tgt[-1], "a tgt")
    if p["custom_encoder"] is not None or p["custom_decoder"] is not None:
        return None
    _expect_rank(layer, x, (2, 3))
    if tgt is None:
        return None
    if len(tgt) != len(x):
        raise _fail(WRONG_RANK, f"{layer}: a {len(x)}-D src needs a {len(x)}-D tgt,"
                    f" got {len(tgt)}-D {format_shape(tgt)}")
    if len(x) == 3 and not isinstance(first, bool):
        return None
    return tuple(tgt[:-1]) + (_dim_or_none(d_model),)


_ACTIVATION_NAMES = ("relu", "gelu")


def _transformer_rule(layer: str, decoder: bool) -> ShapeRule:
    """TransformerEncoderLayer / TransformerDecoderLayer: the output has the input's shape; its
    last dim (and the memory's) must be d_model."""

    def rule(p: Params, x: MaybeShape) -> MaybeShape:
        d_model = p["d_model"]
        _check_heads(layer, "d_model", d_model, "nhead", p["nhead"])
        activation = p["activation"]
        if isinstance(activation, str) and activation not in _ACTIVATION_NAMES:
            raise _fail(INVALID_PARAMETERS,
                        f"{layer}: activation={activation!r} is not 'relu' or 'gelu'")
        rate = p["dropout"]
        if isinstance(rate, (int, float)) and not isinstance(rate, bool) and not 0 <= rate <= 1:
            raise _fail(INVALID_PARAMETERS, f"{layer}: dropout={rate} must be between 0 and 1")
        if x is None:
            return None
        _expect_rank(layer, x, (2, 3))
        _features_mismatch(layer, "d_model", d_model, x[-1], "an input")
        if decoder:
            memory = _tensor_shape(p.get("memory"))
            if memory is not None:
                if len(memory) != len(x):
                    raise _fail(WRONG_RANK, f"{layer}: a {len(x)}-D target needs a {len(x)}-D"
                                f" memory, got {len(memory)}-D {format_shape(memory)}")
                _features_mismatch(layer, "d_model", d_model, memory[-1], "a memory")
                if len(x) == 3:
                    first = p["batch_first"]
                    batch = 0 if first is True else 1 if first is False else None
                    if batch is None or _certainly_differ(x[batch], memory[batch]):
                        return None
        return tuple(x[:-1]) + (_dim_or_none(d_model),)

    return rule


class _TorchFunction:
    """A default that is a function of torch (``activation=F.relu``), equal to it by name."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _TorchFunction):
            return (self.module, self.name) == (other.module, other.name)
        return getattr(other, "__module__", None) == self.module and getattr(other, "__name__", None) == self.name

    def __hash__(self) -> int:
        return hash((self.module, self.name))

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"


_RELU = _TorchFunction("torch.nn.functional", "relu")


# --------------------------------------------------------------------------- the table

_FACTORY = (Param("device", None), Param("dtype", None))
_ARGS_ANY = (Param("args", kind=VAR_POSITIONAL), Param("kwargs", kind=VAR_KEYWORD))
_INPLACE = (Param("inplace", False),)

#: Shape-preserving activations with their own signatures.
_ACTIVATIONS: Dict[str, Tuple[Param, ...]] = {
    "Threshold": (Param("threshold"), Param("value")) + _INPLACE,
    "ReLU": _INPLACE,
    "RReLU": (Param("lower", 1.0 / 8), Param("upper", 1.0 / 3)) + _INPLACE,
    "Hardtanh": (Param("min_val", -1.0), Param("max_val", 1.0)) + _INPLACE
    + (Param("min_value", None), Param("max_value", None)),
    "ReLU6": _INPLACE,
    "Sigmoid": _ARGS_ANY,
    "Hardsigmoid": _INPLACE,
    "Tanh": _ARGS_ANY,
    "SiLU": _INPLACE,
    "Mish": _INPLACE,
    "Hardswish": _INPLACE,
    "ELU": (Param("alpha", 1.0),) + _INPLACE,
    "CELU": (Param("alpha", 1.0),) + _INPLACE,
    "SELU": _INPLACE,
    "GELU": (Param("approximate", "none"),),
    "Hardshrink": (Param("lambd", 0.5),),
    "LeakyReLU": (Param("negative_slope", 1e-2),) + _INPLACE,
    "LogSigmoid": _ARGS_ANY,
    "Softplus": (Param("beta", 1.0), Param("threshold", 20.0)),
    "Softshrink": (Param("lambd", 0.5),),
    "Softsign": _ARGS_ANY,
    "Tanhshrink": _ARGS_ANY,
}


#: Parameters of convolutions that torch stores as tuples (``conv.kernel_size == (3, 3)``).
_CONV_TUPLES = ("kernel_size", "stride", "padding", "dilation")
#: The constructor arguments recurrent layers keep as attributes of the same name and value.
_RNN_ATTRIBUTES = frozenset({"input_size", "hidden_size", "num_layers", "bias", "batch_first",
                             "bidirectional", "proj_size", "nonlinearity"})


def _conv_layers(n: int) -> List[LayerSpec]:
    specs = []
    for transposed in (False, True):
        for lazy in (False, True):
            name = ("Lazy" if lazy else "") + ("ConvTranspose" if transposed else "Conv") + f"{n}d"
            specs.append(LayerSpec(
                name,
                _conv_signature(transposed, lazy),
                _conv_rule(name, n, transposed, lazy),
                family=CONV_TRANSPOSE if transposed else CONV,
                spatial_dims=n,
                channel_param=None if lazy else "in_channels",
                forward_params=("output_size",) if transposed else (),
                lint=_conv_transpose_lint(name, n) if transposed else None,
                tuple_attributes=_CONV_TUPLES + (("output_padding",) if transposed else ()),
                probe_ranks=() if lazy else (n + 2, n + 1), output_size_params=("out_channels",),
            ))
    return specs


def _pool_layers(n: int) -> List[LayerSpec]:
    avg_params = (
        (Param("kernel_size"), Param("stride", None), Param("padding", 0), Param("ceil_mode", False),
         Param("count_include_pad", True))
        + (() if n == 1 else (Param("divisor_override", None),))
    )
    return [
        LayerSpec(
            f"MaxPool{n}d",
            (Param("kernel_size"), Param("stride", None), Param("padding", 0), Param("dilation", 1),
             Param("return_indices", False), Param("ceil_mode", False)),
            _pool_rule(f"MaxPool{n}d", n, "max"), family=MAX_POOL, spatial_dims=n,
            indices_flag="return_indices", functional=f"max_pool{n}d",
            functional_params=("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                               "return_indices"),
        ),
        LayerSpec(
            f"AvgPool{n}d", avg_params, _pool_rule(f"AvgPool{n}d", n, "avg"), family=AVG_POOL,
            spatial_dims=n, functional=f"avg_pool{n}d",
            functional_params=tuple(p.name for p in avg_params),
        ),
        LayerSpec(
            f"LPPool{n}d",
            (Param("norm_type"), Param("kernel_size"), Param("stride", None), Param("ceil_mode", False)),
            _pool_rule(f"LPPool{n}d", n, "lp"), spatial_dims=n,
        ),
        LayerSpec(
            f"AdaptiveAvgPool{n}d", (Param("output_size"),),
            _adaptive_pool_rule(f"AdaptiveAvgPool{n}d", n, True), spatial_dims=n, adaptive=True,
            functional=f"adaptive_avg_pool{n}d", functional_params=("output_size",),
        ),
        LayerSpec(
            f"AdaptiveMaxPool{n}d", (Param("output_size"), Param("return_indices", False)),
            _adaptive_pool_rule(f"AdaptiveMaxPool{n}d", n, False), spatial_dims=n, adaptive=True,
            indices_flag="return_indices", functional=f"adaptive_max_pool{n}d",
            functional_params=("output_size", "return_indices"),
        ),
    ]


def _spatial_norm_layers(n: int) -> List[LayerSpec]:
    norm_args = (Param("eps", 1e-5), Param("momentum", 0.1))
    batch_ranks = (2, 3) if n == 1 else (n + 2,)
    return [
        LayerSpec(
            f"BatchNorm{n}d",
            (Param("num_features"),) + norm_args + (Param("affine", True), Param("track_running_stats", True))
            + _FACTORY + (Param("bias", True, KEYWORD_ONLY),),
            _batch_norm_rule(f"BatchNorm{n}d", batch_ranks, False), spatial_dims=n,
            channel_param="num_features",
            # BatchNorm1d also takes (N, C): it does not fix the rank.
            probe_ranks=(n + 2,) if n > 1 else (),
        ),
        LayerSpec(
            f"LazyBatchNorm{n}d",
            norm_args + (Param("affine", True), Param("track_running_stats", True)) + _FACTORY
            + (Param("bias", True, KEYWORD_ONLY),),
            _batch_norm_rule(f"LazyBatchNorm{n}d", batch_ranks, True), spatial_dims=n,
        ),
        LayerSpec(
            f"InstanceNorm{n}d",
            (Param("num_features"),) + norm_args + (Param("affine", False), Param("track_running_stats", False))
            + _FACTORY + (Param("bias", True, KEYWORD_ONLY),),
            _instance_norm_rule(f"InstanceNorm{n}d", n, False), spatial_dims=n,
            channel_param="num_features",
        ),
        LayerSpec(
            f"LazyInstanceNorm{n}d",
            norm_args + (Param("affine", True), Param("track_running_stats", True)) + _FACTORY
            + (Param("bias", True, KEYWORD_ONLY),),
            _instance_norm_rule(f"LazyInstanceNorm{n}d", n, True), spatial_dims=n,
        ),
    ]


def _padding_and_dropout_layers(n: int) -> List[LayerSpec]:
    specs = []
    for prefix, mode in (("Zero", "constant"), ("Constant", "constant"), ("Reflection", "reflect"),
                         ("Replication", "replicate"), ("Circular", "circular")):
        name = f"{prefix}Pad{n}d"
        params = (Param("padding"),) + ((Param("value"),) if prefix == "Constant" else ())
        # A reflection pad first (a vocoder's): the probe's rank from it, its channels a name.
        ranks = (n + 2, n + 1) if mode in ("reflect", "replicate", "circular") else ()
        specs.append(LayerSpec(name, params, _pad_rule(name, n, mode), spatial_dims=n, probe_ranks=ranks))
    specs.append(LayerSpec(f"Dropout{n}d", (Param("p", 0.5),) + _INPLACE,
                           _dropout_rule(f"Dropout{n}d", (2, 3) if n == 1 else None)))
    return specs


def _resize_and_reshape_layers() -> List[LayerSpec]:
    return [
        LayerSpec("Upsample",
                  (Param("size", None), Param("scale_factor", None), Param("mode", "nearest"),
                   Param("align_corners", None), Param("recompute_scale_factor", None)),
                  _upsample_rule("Upsample"), output_size_params=("size",)),
        LayerSpec("UpsamplingNearest2d", (Param("size", None), Param("scale_factor", None)),
                  _upsample_rule("UpsamplingNearest2d", "nearest"), output_size_params=("size",)),
        LayerSpec("UpsamplingBilinear2d", (Param("size", None), Param("scale_factor", None)),
                  _upsample_rule("UpsamplingBilinear2d", "bilinear", True), output_size_params=("size",)),
        LayerSpec("PixelShuffle", (Param("upscale_factor"),), _pixel_shuffle_rule("PixelShuffle", True)),
        LayerSpec("PixelUnshuffle", (Param("downscale_factor"),),
                  _pixel_shuffle_rule("PixelUnshuffle", False)),
        LayerSpec("Flatten", (Param("start_dim", 1), Param("end_dim", -1)), _flatten_rule),
        LayerSpec("Unflatten", (Param("dim"), Param("unflattened_size")), _unflatten_rule),
        LayerSpec("Identity", _ARGS_ANY, _identity_rule),
    ]


def _feature_layers() -> List[LayerSpec]:
    """Linear layers, norms over features, embeddings, activations and dropout."""
    specs = [
        LayerSpec("Linear", (Param("in_features"), Param("out_features"), Param("bias", True)) + _FACTORY,
                  _linear_rule(False), channel_param="in_features", output_size_params=("out_features",),
                  # Any number of leading dims: (b, F) is the usual input, then (F), (b, t, F), (b, h, w, F).
                  probe_ranks=(2, 1, 3, 4)),
        LayerSpec("LazyLinear", (Param("out_features"), Param("bias", True)) + _FACTORY,
                  _linear_rule(True), output_size_params=("out_features",)),
        LayerSpec("GroupNorm",
                  (Param("num_groups"), Param("num_channels"), Param("eps", 1e-5), Param("affine", True))
                  + _FACTORY + (Param("bias", True, KEYWORD_ONLY),),
                  _group_norm_rule, channel_param="num_channels"),
        LayerSpec("LayerNorm",
                  (Param("normalized_shape"), Param("eps", 1e-5), Param("elementwise_affine", True),
                   Param("bias", True)) + _FACTORY,
                  _normalized_shape_rule("LayerNorm"), channel_param="normalized_shape"),
        LayerSpec("RMSNorm",
                  (Param("normalized_shape"), Param("eps", None), Param("elementwise_affine", True))
                  + _FACTORY,
                  _normalized_shape_rule("RMSNorm"), channel_param="normalized_shape"),
        LayerSpec("LocalResponseNorm",
                  (Param("size"), Param("alpha", 1e-4), Param("beta", 0.75), Param("k", 1.0)),
                  _local_response_norm_rule),
        LayerSpec("Embedding",
                  (Param("num_embeddings"), Param("embedding_dim"), Param("padding_idx", None),
                   Param("max_norm", None), Param("norm_type", 2.0), Param("scale_grad_by_freq", False),
                   Param("sparse", False), Param("_weight", None), Param("_freeze", False)) + _FACTORY,
                  _embedding_rule, output_size_params=("embedding_dim",)),
    ]
    specs += [LayerSpec(name, params, _activation_rule(name))
              for name, params in _ACTIVATIONS.items()]
    specs += [LayerSpec(name, (Param("dim", None),), _softmax_rule(name))
              for name in ("Softmax", "Softmin", "LogSoftmax")]
    specs += [
        LayerSpec("Softmax2d", _ARGS_ANY, _softmax2d_rule),
        LayerSpec("GLU", (Param("dim", -1),), _glu_rule),
        LayerSpec("PReLU", (Param("num_parameters", 1), Param("init", 0.25)) + _FACTORY, _prelu_rule,
                  channel_param="num_parameters"),
    ]
    specs += [LayerSpec(name, (Param("p", 0.5),) + _INPLACE, _dropout_rule(name, None))
              for name in ("Dropout", "AlphaDropout", "FeatureAlphaDropout")]
    return specs


def _recurrent_layers() -> List[LayerSpec]:
    rnn_head = (Param("input_size"), Param("hidden_size"), Param("num_layers", 1))
    rnn_tail = (Param("bias", True), Param("batch_first", False), Param("dropout", 0.0),
                Param("bidirectional", False))
    specs = [
        LayerSpec(name, _ARGS_ANY, _rnn_rule(name), arguments=arguments, results=_rnn_results(name),
                  stored_attributes=_RNN_ATTRIBUTES)
        for name, arguments in (
            # RNN reads nonlinearity from its 4th argument; RNN and GRU refuse proj_size.
            ("RNN", rnn_head + (Param("nonlinearity", "tanh"),) + rnn_tail + _FACTORY),
            ("LSTM", rnn_head + rnn_tail + (Param("proj_size", 0),) + _FACTORY),
            ("GRU", rnn_head + rnn_tail + _FACTORY),
        )
    ]
    cell = (Param("input_size"), Param("hidden_size"), Param("bias", True))
    return specs + [
        LayerSpec("RNNCell", cell + (Param("nonlinearity", "tanh"),) + _FACTORY,
                  _rnn_cell_rule("RNNCell"), channel_param="input_size",
                  stored_attributes=_RNN_ATTRIBUTES),
        LayerSpec("LSTMCell", cell + _FACTORY, _rnn_cell_rule("LSTMCell"),
                  channel_param="input_size", results=_lstm_cell_results,
                  stored_attributes=_RNN_ATTRIBUTES),
        LayerSpec("GRUCell", cell + _FACTORY, _rnn_cell_rule("GRUCell"), channel_param="input_size",
                  stored_attributes=_RNN_ATTRIBUTES),
    ]


def _attention_layers() -> List[LayerSpec]:
    transformer = (Param("d_model"), Param("nhead"), Param("dim_feedforward", 2048),
                   Param("dropout", 0.1), Param("activation", _RELU), Param("layer_norm_eps", 1e-5),
                   Param("batch_first", False), Param("norm_first", False), Param("bias", True)) + _FACTORY
    return [
        LayerSpec(
            "MultiheadAttention",
            (Param("embed_dim"), Param("num_heads"), Param("dropout", 0.0), Param("bias", True),
             Param("add_bias_kv", False), Param("add_zero_attn", False), Param("kdim", None),
             Param("vdim", None), Param("batch_first", False)) + _FACTORY,
            _mha_rule,
            forward_params=("key", "value", "key_padding_mask", "need_weights", "attn_mask",
                            "average_attn_weights", "is_causal"),
            tensor_params=("key", "value", "key_padding_mask", "attn_mask"),
            results=_mha_results, submodules=_mha_submodules,
            stored_attributes=frozenset({"embed_dim", "num_heads", "batch_first", "kdim", "vdim"}),
            attribute_fallbacks=(("kdim", "embed_dim"), ("vdim", "embed_dim")),
        ),
        LayerSpec("TransformerEncoderLayer", transformer,
                  _transformer_rule("TransformerEncoderLayer", False),
                  submodules=_transformer_submodules(False), stored_attributes=frozenset({"norm_first"})),
        LayerSpec("TransformerDecoderLayer", transformer,
                  _transformer_rule("TransformerDecoderLayer", True),
                  forward_params=("memory",), tensor_params=("memory",),
                  submodules=_transformer_submodules(True), stored_attributes=frozenset({"norm_first"})),
        LayerSpec(
            "Transformer",
            (Param("d_model", 512), Param("nhead", 8), Param("num_encoder_layers", 6),
             Param("num_decoder_layers", 6), Param("dim_feedforward", 2048), Param("dropout", 0.1),
             Param("activation", _RELU), Param("custom_encoder", None), Param("custom_decoder", None),
             Param("layer_norm_eps", 1e-5), Param("batch_first", False), Param("norm_first", False),
             Param("bias", True)) + _FACTORY,
            _transformer_model_rule,
            forward_params=("tgt",), tensor_params=("tgt",), submodules=_transformer_model_submodules,
        ),
    ]


def _build_table() -> Dict[str, LayerSpec]:
    table: List[LayerSpec] = []
    for n in (1, 2, 3):
        table += _conv_layers(n) + _pool_layers(n) + _spatial_norm_layers(n) + _padding_and_dropout_layers(n)
    table += _resize_and_reshape_layers() + _feature_layers() + _recurrent_layers() + _attention_layers()
    return {spec.name: spec for spec in table}


#: Every layer shapelint knows, by torch.nn class name.
LAYERS: Dict[str, LayerSpec] = _build_table()
