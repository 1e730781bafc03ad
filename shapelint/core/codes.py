"""Diagnostic codes (the table in the README and docs/rules.md), their severity, and the error
the shape rules raise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict

PARSE_ERROR = "SHP001"
BAD_DECLARATION = "SHP002"
CONFLICTING_DECLARATIONS = "SHP003"
SHAPE_MISMATCH = "SHP101"
CHANNEL_MISMATCH = "SHP102"
INVALID_PARAMETERS = "SHP103"
WRONG_RANK = "SHP104"
NON_POSITIVE_SIZE = "SHP105"
INCOMPATIBLE_SHAPES = "SHP106"
CHECKERBOARD = "SHP201"
CROPS_INPUT = "SHP202"
SIZE_GAPS = "SHP203"
TRACKING_STOPPED = "SHP301"

TITLES: Dict[str, str] = {
    PARSE_ERROR: "file cannot be read or parsed",
    BAD_DECLARATION: "malformed shape declaration",
    CONFLICTING_DECLARATIONS: "conflicting declarations for the same tensor",
    SHAPE_MISMATCH: "shape differs from the declared shape",
    CHANNEL_MISMATCH: "channel / feature mismatch",
    INVALID_PARAMETERS: "parameters PyTorch rejects",
    WRONG_RANK: "wrong number of dimensions for the layer",
    NON_POSITIVE_SIZE: "a size becomes zero or negative",
    INCOMPATIBLE_SHAPES: "tensors combined with incompatible shapes",
    CHECKERBOARD: "transposed convolution kernel not a multiple of its stride",
    CROPS_INPUT: "transposed convolution padding crops more than its kernel covers",
    SIZE_GAPS: "the model fits its declared shapes only for some sizes, with gaps",
    TRACKING_STOPPED: "shape tracking stops here",
}



def severity(code: str) -> str:
    """``"error"`` for SHP0xx and SHP1xx (a file that cannot be checked, a certain failure or
    mismatch at run time), ``"warning"`` for SHP2xx and SHP3xx (a valid but poor choice, a note
    about the analysis), as docs/rules.md says."""
    return "error" if code.startswith(("SHP0", "SHP1")) else "warning"


#: Codes reported only when a selection names them (``--select SHP301``, ``extend-select``):
#: notes about the analysis itself, not problems of the code.
OFF_BY_DEFAULT = (TRACKING_STOPPED,)


@dataclass
class ShapeError(Exception):
    """A certain failure of a layer: what PyTorch would raise, as a shapelint code.

    ``fix`` maps parameter names to values that remove the error (e.g. the channel count that
    actually arrives), when one is known.
    """

    code: str
    message: str
    fix: Dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code} {self.message}"
