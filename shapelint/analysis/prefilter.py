"""The cheap pre-filter: whether a file can build a torch.nn layer at all.

Kept apart from the engine on purpose: ``shapelint check`` and the flake8 plugin ask
this for every file, and a file that answers False must cost neither the engine's import nor a
parse. Imports nothing beyond the standard library.
"""

from __future__ import annotations

from typing import Union


def mentions_layers(source: Union[bytes, str]) -> bool:
    """False when the file cannot build or run a torch.nn layer: no ``torch`` in it at all, and no
    ``nn.`` or ``Module`` that a relative or star import could bring (``from .parts import *``
    then ``class UNet(nn.Module)``)."""
    if isinstance(source, str):
        source = source.encode("utf-8", "replace")
    if b"torch" in source:
        return True  # also a train.py that builds an imported model and calls it
    return (b"nn." in source or b"Module" in source) and (b"from ." in source or b"import *" in source)


def is_plain_source(data: bytes) -> bool:
    """True when the bytes are UTF-8 text without a NUL byte: source Python surely decodes.

    A file that fails this (a binary file named ``.py``, another encoding) must reach the engine
    even when it mentions no layer, which reports it as SHP001 if Python would refuse it (Python
    rejects any NUL byte in source) and reads it normally if a coding declaration allows it.
    """
    if b"\0" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
