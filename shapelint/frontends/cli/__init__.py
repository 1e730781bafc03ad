"""The ``shapelint`` command: dispatches to one module per sub-command.

Sub-command modules are imported only when used, so ``shapelint --version`` stays instant.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import List, Optional

COMMANDS = {
    "check": "shapelint.frontends.cli.check_cmd",
    "shapes": "shapelint.frontends.cli.shapes_cmd",
    "solve": "shapelint.frontends.cli.solve_cmd",
    "rule": "shapelint.frontends.cli.rule_cmd",
    "server": "shapelint.frontends.cli.server_cmd",
}

USAGE = """usage: shapelint [check] PATH... [options]
       shapelint shapes PATH... [options]
       shapelint solve LAYER IN OUT [options]
       shapelint rule [CODE]
       shapelint server                (Language Server Protocol over stdio: pip install 'shapelint[lsp]')
       shapelint --version

Static shape checker for PyTorch model code. `shapelint COMMAND --help` for a command's options."""


def main(argv: Optional[List[str]] = None) -> int:
    """Run a command; Ctrl-C anywhere is exit 130 with no traceback (the terminal has echoed
    ``^C``; like ruff, nothing more is printed), and any worker processes are gone by then."""
    try:
        return dispatch(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        quiet_further_interrupts()
        return 130
    except BrokenPipeError:
        return 1


def dispatch(args: List[str]) -> int:
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
    return import_module(COMMANDS[command]).main(args)


def quiet_further_interrupts() -> None:
    """Let a second Ctrl-C while the interpreter shuts down end the process at once, by the
    signal's default action, instead of a KeyboardInterrupt traceback from an exit handler."""
    import signal

    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    except (ValueError, OSError):  # not the main thread: nothing to do
        pass


def run() -> None:
    sys.exit(main())
