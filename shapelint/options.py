"""Options of one run, as the analysis layer receives them (from CLI, config or flake8)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Tuple

from .core.shapes import Shape
from .core.solver_bounds import Bounds


@dataclass(frozen=True)
class Options:
    #: Declared shapes by model name: ``"Upsampler"`` or ``"path/to/file.py::Upsampler"``.
    #: ``cli_*`` beat pragmas and annotations; ``config_*`` lose to them (CONTRACT.md section 1).
    cli_inputs: Dict[str, Shape] = field(default_factory=dict)
    cli_outputs: Dict[str, Shape] = field(default_factory=dict)
    config_inputs: Dict[str, Shape] = field(default_factory=dict)
    config_outputs: Dict[str, Shape] = field(default_factory=dict)
    bounds: Bounds = Bounds()
    select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
