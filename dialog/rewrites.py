"""Writing words back into the caller's text from a table of patterns.

Several readings put a word where the caller or the recognizer left another: the question
words the phone band blurs (dialog.heard_questions), things described by their use
(dialog.described_names). Each keeps its own table; this is the one way a table is applied, in
order, each rule on the text the rules before it left. Pure; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["Rewrite", "rewrite"]

Rewrite = tuple[re.Pattern[str], str]  # a pattern and its replacement (a template: \1 allowed)


def rewrite(text: str, rules: Iterable[Rewrite]) -> str:
    """`text` with every rule's pattern replaced, rule by rule."""
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text
