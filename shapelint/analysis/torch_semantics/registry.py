"""Building a registry: a read-only mapping from names to handlers, each name given once."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Dict, Iterable, List, Mapping, Tuple, TypeVar

Handler = TypeVar("Handler")
#: A call's positional and keyword arguments, as the handlers get them (evaluated values).
Args = List[Any]
Kwargs = Dict[str, Any]


def registry(*groups: Tuple[Iterable[str], Handler]) -> Mapping[str, Handler]:
    """``(names, handler)`` groups as one read-only mapping; a name in two groups is a mistake
    (the first one would silently lose), so it fails at import."""
    table: Dict[str, Handler] = {}
    for names, handler in groups:
        for name in names:
            if name in table:
                raise ValueError(f"{name!r} is registered twice")
            table[name] = handler
    return MappingProxyType(table)
