"""Options of one run, as the analysis layer receives them (from CLI, config or flake8)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Tuple

from .core.solver_bounds import Bounds

if TYPE_CHECKING:  # the declarations module parses; options only carry its results
    from .analysis.declarations import ShapeSpec


@dataclass(frozen=True)
class Options:
    #: Declared shapes by model name: ``"Upsampler"`` or ``"path/to/file.py::Upsampler"``.
    #: ``cli_*`` beat pragmas and annotations; ``config_*`` lose to them (CONTRACT.md section 1).
    cli_inputs: Dict[str, "ShapeSpec"] = field(default_factory=dict)
    cli_outputs: Dict[str, "ShapeSpec"] = field(default_factory=dict)
    config_inputs: Dict[str, "ShapeSpec"] = field(default_factory=dict)
    config_outputs: Dict[str, "ShapeSpec"] = field(default_factory=dict)
    bounds: Bounds = Bounds()
    select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
