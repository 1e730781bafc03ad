"""``shapelint rule [CODE] [--format text|json]``: a rule's documentation, or the list of rules."""

from __future__ import annotations

import json
import sys
from typing import List, Optional

from ...core.rules import RULES, get_rule
from .usage import OneLineArgumentParser, UsageError


def _parser() -> OneLineArgumentParser:
    parser = OneLineArgumentParser(
        prog="shapelint rule",
        description="Explain a diagnostic code, or list every code when none is given.",
    )
    parser.add_argument("code", nargs="?", help="a code (SHP101) or a rule name (shape-mismatch)")
    parser.add_argument("--all", action="store_true", help="document every rule (the default without CODE)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except UsageError as error:
        print(f"shapelint rule: {error}", file=sys.stderr)
        return 2
    except SystemExit as done:  # --help
        return int(done.code or 0)
    if args.code is not None:
        rule = get_rule(args.code)
        if rule is None:
            print(f"shapelint rule: unknown rule code {args.code!r}", file=sys.stderr)
            return 2
        if args.format == "json":
            print(json.dumps(rule.to_json(), indent=2))
        else:
            sys.stdout.write(rule.to_markdown(level=1))
        return 0
    if args.format == "json":
        print(json.dumps([rule.to_json() for rule in RULES], indent=2))
    elif args.all:
        sys.stdout.write("\n".join(rule.to_markdown(level=1) for rule in RULES))
    else:
        width = max(len(rule.name) for rule in RULES)
        for rule in RULES:
            print(f"{rule.code}  {rule.name:<{width}}  {rule.summary}")
    return 0
