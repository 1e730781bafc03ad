"""Zero-config (issue 13): the input of a model that declares none.

The model is called on a placeholder tensor of unknown shape. When its first layer meets it,
the placeholder takes the rank and channels that layer takes, its other sizes names
(``Conv2d(3, ...)`` -> ``[b, 3, h, w]``, ``Conv1d(80, ...)`` -> ``[b, 80, t]``, ``Linear(100, ...)`` ->
``[b, 100]``), so that every later size is an exact expression of them and the model's
``accepts`` says which sizes it runs on.

A first layer may take several ranks (a ``Conv2d`` takes unbatched input too, a ``Linear`` any
number of leading dims): the usual rank is the model's probe, and each other rank a ``variant``
run only to make sure an error is certain (``run.py``: an error is reported when no rank works).
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, Iterable, Mapping, Optional, Tuple

from ..core.shapes import MaybeShape, Shape, is_known
from .values import Tensor

#: The names of the sizes the probe leaves free, by role.
BATCH = "b"
#: The channels of a first layer that does not fix them (a ReflectionPad1d).
CHANNELS = "c"
SPATIAL = {1: ("t",), 2: ("h", "w"), 3: ("d", "h", "w")}
#: The leading dims of a Linear-first input of rank 3 and 4, after its batch (``[b, t, 100]``).
LEADING = {1: ("t",), 2: ("h", "w")}


def fresh_names(taken: Iterable[str]) -> Mapping[str, str]:
    """Each probe name (``b``, ``c``, ``t``, ``d``, ``h``, ``w``), or its first free numbered form
    (``h0``, ``h1``...) when the file declares a name like it: a probe name never stands for a
    size the file's declarations name."""
    used = set(taken)
    names: Dict[str, str] = {}
    for wanted in (BATCH, CHANNELS, "t", "d", "h", "w"):
        name, index = wanted, 0
        while name in used:
            name, index = f"{wanted}{index}", index + 1
        used.add(name)
        names[wanted] = name
    return names


class Probe:
    """The placeholder input of one run of a model, and the shape its first layer gives it.

    ``variant`` chooses the rank among those the first layer takes (0: the usual one);
    ``channels`` are those of a first layer that does not fix them, when known (else a name)."""

    __slots__ = ("placeholder", "names", "variant", "channels", "variants")

    def __init__(self, names: Mapping[str, str], variant: int = 0, channels: Optional[int] = None) -> None:
        #: The model's input: of unknown shape until its first layer is met, then shaped in
        #: place, so that every use of it (a residual branch, ``x.shape``) sees that shape.
        self.placeholder = Tensor(None)
        self.names = names
        self.variant = variant
        self.channels = channels
        #: How many ranks the first layer takes (0: not met, or it shapes nothing).
        self.variants = 0

    @property
    def shape(self) -> MaybeShape:
        return self.placeholder.shape

    def again(self, variant: int = 0, channels: Optional[int] = None) -> "Probe":
        """A fresh probe of the same names for another run."""
        return Probe(self.names, variant, self.channels if channels is None else channels)

    @property
    def named_channels(self) -> Optional[str]:
        """The name its channels are, when the first layer did not fix them."""
        shape = self.shape
        n = self.names[CHANNELS]
        return n if shape is not None and n in shape else None

    def meet(self, x: Any, ranks: Tuple[int, ...], spatial_dims: int, channel_param: Optional[str],
             channels: Any) -> Any:
        """``x`` as the first layer receives it: the placeholder gets its shape here, once."""
        if x is not self.placeholder or self.variants or not ranks:
            return x
        self.variants = len(ranks)
        if self.variant >= len(ranks):
            return x  # the first layer takes fewer ranks than this run asks: nothing to try
        if channel_param is None:
            count: Any = self.channels if self.channels is not None else self.names[CHANNELS]
        else:
            count = channels if is_known(channels) else None
        x.shape = probe_shape(ranks[self.variant], spatial_dims, count, self.names)
        return x


def probe_shape(rank: int, spatial_dims: int, channels: Any, names: Mapping[str, str]) -> Shape:
    """The probe input of ``rank`` for a first layer with ``spatial_dims`` spatial dims after its
    channels (0 or None: features last, as a Linear takes them)."""
    if not spatial_dims:
        leading = (names[BATCH],) + tuple(names[n] for n in LEADING.get(rank - 2, ())) if rank > 1 else ()
        return leading + (channels,)
    spatial = tuple(names[n] for n in SPATIAL[spatial_dims])
    batch = (names[BATCH],) if rank == spatial_dims + 2 else ()
    return batch + (channels,) + spatial


def declared_names(specs: Iterable[Any]) -> FrozenSet[str]:
    """Every single-dim name the given shape declarations use."""
    return frozenset(n for spec in specs for n in spec.names() if not n.startswith("*"))
