"""The server's settings: the editor's workspace settings layered over each file's project
configuration, as ``shapelint check``'s command line is layered over it.

Workspace settings (``initializationOptions``, or the ``shapelint`` section of
``workspace/didChangeConfiguration``), every key optional::

    {"select": ["SHP1"], "extendSelect": ["SHP301"], "ignore": ["SHP201"],
     "inputs": {"Net": "1,3,64,64"}, "outputs": {"Net": "1,10"}, "init": {"UNet": "3, n_classes=2"},
     "configFile": "path/to/shapelint.toml", "debounceMs": 10}

They mean what ``--select``, ``--extend-select``, ``--ignore``, ``--input``, ``--output``,
``--init`` and ``--config`` mean to ``check``; the project's ``[tool.shapelint]`` is found from
the file's directory, as ``check`` finds it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

if TYPE_CHECKING:
    from ...core.options import Options
    from ..config import Config

#: Wait after an edit before analysing (edits arriving meanwhile are taken together).
DEFAULT_DEBOUNCE_MS = 10
MAX_DEBOUNCE_MS = 5_000


@dataclass(frozen=True)
class WorkspaceSettings:
    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    #: ``NAME=SHAPE`` / ``NAME=ARGS`` values, as on the command line.
    inputs: Tuple[str, ...] = ()
    outputs: Tuple[str, ...] = ()
    init: Tuple[str, ...] = ()
    config_file: Optional[str] = None
    debounce_ms: int = DEFAULT_DEBOUNCE_MS


def read_settings(raw: Any) -> Tuple[WorkspaceSettings, Optional[str]]:
    """The settings an editor sent (its ``shapelint`` section, or the section itself), and a
    one-line error when one is malformed (the defaults are used then)."""
    from ..cli.check_cmd import parse_code_list, parse_inits, parse_shapes
    from ..cli.usage import UsageError

    if isinstance(raw, dict) and isinstance(raw.get("shapelint"), dict):
        raw = raw["shapelint"]
    if raw is None or raw == []:
        return WorkspaceSettings(), None
    if not isinstance(raw, dict):
        return WorkspaceSettings(), f"settings: expected an object, got {type(raw).__name__}"
    try:
        select = raw.get("select")
        settings = WorkspaceSettings(
            select=parse_code_list(_strings(select, "select"), "select") if select is not None else None,
            extend_select=parse_code_list(_strings(_either(raw, "extendSelect", "extend-select"), "extendSelect"),
                                          "extendSelect") or (),
            ignore=parse_code_list(_strings(raw.get("ignore"), "ignore"), "ignore") or (),
            inputs=_pairs(raw.get("inputs"), "inputs"),
            outputs=_pairs(raw.get("outputs"), "outputs"),
            init=_pairs(raw.get("init"), "init"),
            config_file=_path(_either(raw, "configFile", "config")),
            debounce_ms=_debounce(_either(raw, "debounceMs", "debounce")),
        )
        # Shapes and arguments are parsed here too, so that a typo is said once, at once.
        parse_shapes(settings.inputs, "inputs")
        parse_shapes(settings.outputs, "outputs")
        parse_inits(settings.init)
    except (UsageError, ValueError, TypeError) as error:
        return WorkspaceSettings(), f"settings: {error}"
    return settings, None


def _either(raw: Dict[str, Any], *keys: str) -> Any:
    return next((raw[key] for key in keys if key in raw), None)


def _strings(value: Any, key: str) -> Optional[list]:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise ValueError(f"{key}: expected a list of codes, got {value!r}")


def _pairs(value: Any, key: str) -> Tuple[str, ...]:
    """``{"Net": "1,3,64,64"}`` (a shape may be a list too) or ``["Net=1,3,64,64"]``."""
    if value is None:
        return ()
    if isinstance(value, dict):
        out = []
        for name, item in value.items():
            if isinstance(item, list):
                item = ",".join(str(d) for d in item)
            if not isinstance(item, str):
                raise ValueError(f"{key}.{name}: expected a string, got {item!r}")
            out.append(f"{name}={item}")
        return tuple(out)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValueError(f"{key}: expected an object of names to values, got {value!r}")


def _path(value: Any) -> Optional[str]:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"configFile: expected a path, got {value!r}")
    return os.path.expanduser(value)


def _debounce(value: Any) -> int:
    if value is None:
        return DEFAULT_DEBOUNCE_MS
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_DEBOUNCE_MS:
        raise ValueError(f"debounceMs: expected milliseconds from 0 to {MAX_DEBOUNCE_MS}, got {value!r}")
    return int(value)


def settings_for(path: str,
                 settings: WorkspaceSettings) -> Tuple[Optional["Config"], Optional["Options"], Optional[str]]:
    """(config, options, None) for the file at ``path``, or (None, None, the one-line error)
    when its project configuration (or the configFile setting) is invalid."""
    from ..cli.check_cmd import layer_cli_selection, parse_inits, parse_shapes
    from ..cli.usage import UsageError
    from ..config import ConfigError, config_from, find_config_file, load_config

    try:
        if settings.config_file is not None:
            if not os.path.isfile(settings.config_file):
                return None, None, f"config file not found: {settings.config_file}"
            config = load_config([path], settings.config_file)
        else:
            config = config_from(find_config_file([os.path.dirname(os.path.abspath(path))]))
        config = layer_cli_selection(config, settings.select, settings.extend_select, settings.ignore)
        options = config.options(parse_shapes(settings.inputs, "inputs"), parse_shapes(settings.outputs, "outputs"),
                                 parse_inits(settings.init))
    except (ConfigError, UsageError) as error:
        return None, None, str(error)
    return config, options, None
