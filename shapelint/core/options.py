"""Options of one run, as the analysis layer receives them (from CLI, config or flake8)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Tuple

from .solver_bounds import Bounds

if TYPE_CHECKING:  # the declarations module parses; options only carry its results
    from .initargs import InitArgs
    from .shapespec import ShapeSpec


@dataclass(frozen=True)
class Options:
    #: Declared shapes by model name: ``"Upsampler"`` or ``"path/to/file.py::Upsampler"``
    #: (a config's paths are absolute, see :meth:`Config.options`; see :func:`key_declares`).
    #: ``cli_*`` beat pragmas and annotations; ``config_*`` lose to them (the README's
    #: "Declaring shapes": CLI beats pragma beats jaxtyping beats pyproject beats examples).
    cli_inputs: Dict[str, "ShapeSpec"] = field(default_factory=dict)
    cli_outputs: Dict[str, "ShapeSpec"] = field(default_factory=dict)
    config_inputs: Dict[str, "ShapeSpec"] = field(default_factory=dict)
    config_outputs: Dict[str, "ShapeSpec"] = field(default_factory=dict)
    #: Constructor arguments by model name, keyed as the shapes (``--init``, ``[tool.shapelint.init]``).
    cli_inits: Dict[str, "InitArgs"] = field(default_factory=dict)
    config_inits: Dict[str, "InitArgs"] = field(default_factory=dict)
    bounds: Bounds = Bounds()
    select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()


def split_model_key(key: str) -> Tuple[str, str]:
    """``("path/to/file.py", "Name")`` of a declaration key; ``("", "Name")`` without a path."""
    path, _, name = key.rpartition("::")
    return path, name


def same_file(a: str, b: str) -> bool:
    """Whether two paths name the same file, however each is spelled (relative to the working
    directory, absolute, with ``./`` or ``..``, through a symbolic link)."""
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def key_declares(key: str, name: str, path: str) -> bool:
    """Whether the declaration key ``key`` (``"Net"`` or ``"path/to/file.py::Net"``) names the
    model ``name`` of the file ``path``. A key's path is a file, not a suffix of one: the config
    resolves its keys against its own directory (:meth:`Config.options`), and a relative path
    left here (``--input models/net.py::Net``) is relative to the working directory, as every
    path on a command line is."""
    key_path, key_name = split_model_key(key)
    return key_name == name and (not key_path or same_file(key_path, path))
