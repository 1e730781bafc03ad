"""``shapelint server``: the language server, over stdio (``pip install 'shapelint[lsp]'``).

Without the ``lsp`` extra it exits 2 with one line saying how to install it. ``--stdio`` is
accepted (editor clients add it) and changes nothing: stdio is the only transport.
"""

from __future__ import annotations

from typing import List

from .usage import OneLineArgumentParser, UsageError, print_error

PROG = "shapelint server"
MISSING_EXTRA = "the language server needs the lsp extra: pip install 'shapelint[lsp]'"


def build_parser() -> OneLineArgumentParser:
    parser = OneLineArgumentParser(prog=PROG, description="Language Server Protocol server over stdio.",
                                   allow_abbrev=False)
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default and only way)")
    return parser


def main(argv: List[str]) -> int:
    try:
        build_parser().parse_args(argv)
    except UsageError as error:
        print_error(PROG, error)
        return 2
    except SystemExit as exit_:  # --help
        return exit_.code if isinstance(exit_.code, int) else 0
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        print_error(PROG, MISSING_EXTRA)
        return 2
    from ..server.protocol import serve

    return serve()
