"""The ``shapelint`` command: dispatches to one module per sub-command.

Sub-command modules are imported only when used, so ``shapelint --version`` stays instant.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import List, Optional

COMMANDS = {
    "check": "shapelint.cli.check_cmd",
    "shapes": "shapelint.cli.shapes_cmd",
    "solve": "shapelint.cli.solve_cmd",
    "rule": "shapelint.cli.rule_cmd",
}

USAGE = """usage: shapelint [check] PATH... [options]
       shapelint shapes PATH... [options]
       shapelint solve LAYER IN OUT [options]
       shapelint rule [CODE]
       shapelint --version

Static shape checker for PyTorch model code. `shapelint COMMAND --help` for a command's options."""


def main(argv: Optional[List[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("--version", "-V"):
        from shapelint import __version__

        print(f"shapelint {__version__}")
        return 0
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    command = "check"
    if args and args[0] in COMMANDS:
        command = args.pop(0)
    try:
        return import_module(COMMANDS[command]).main(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1


def run() -> None:
    sys.exit(main())
