"""Bad usage of a command: one line on stderr and exit status 2, like ruff (the README's
"Commands"), never argparse's usage text and exit. Every sub-command's parser is this one."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from ...core.text import one_line


class UsageError(Exception):
    """Bad usage or configuration: reported as one line on stderr, exit status 2."""


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse, but its errors are a :class:`UsageError` (one line, exit 2), not usage + exit."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        raise UsageError(message)


def print_error(prog: str, message: object) -> None:
    print(f"{prog}: error: {one_line(message)}", file=sys.stderr)
