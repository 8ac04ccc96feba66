"""The speech recognition subcommands on their own: `python -m asr.tools.cli transcribe|models`.

The `ivr` tool registers the same parsers on its own command line (`ivr transcribe`,
`ivr models`).
"""

from __future__ import annotations

import argparse
import sys

from asr.tools.models_cli import add_models_parser
from asr.tools.transcribe import add_transcribe_parser


def build_parser() -> argparse.ArgumentParser:
    """A stand-alone parser with just these subcommands (the `ivr` tool adds them to its own)."""
    parser = argparse.ArgumentParser(prog="ivr", description="speech recognition tools")
    sub = parser.add_subparsers(title="commands")
    add_transcribe_parser(sub)
    add_models_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m asr.tools.cli`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
