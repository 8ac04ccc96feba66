"""What the recognizer's commands share: how they report a problem the user can fix."""

from __future__ import annotations

import sys
from typing import Any

Subparsers = Any  # argparse's _SubParsersAction is private


def error(message: str) -> None:
    """One line on stderr, never a stack trace."""
    print(f"error: {message}", file=sys.stderr, flush=True)
