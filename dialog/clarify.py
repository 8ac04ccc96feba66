"""Resolving a clarifying question: which of the named intents did the caller pick?

After "您是想咨询{a}，还是{b}？" the caller may say yes (the first), no (neither), an ordinal
(第二个, 后面那个), or ask again in other words; the matcher's result of that utterance and
its text decide. Pure functions; no I/O.
"""

from __future__ import annotations

import re

from dialog.normalize import normalize
from dialog.types import MatchResult

REJECT = "<none>"
"""`choose` result when the caller said neither of the intents is what they meant."""

_FIRST = re.compile(r"第一|头一个|前一个|前面的|前面那|前面这|前者|上一个|第1")
_SECOND = re.compile(r"第二|后一个|后面的|后面那|后面这|后者|下一个|第2")


def choose(pending: tuple[str, ...], match: MatchResult) -> str | None:
    """The intent of `pending` the caller chose, REJECT for "neither", None when the
    utterance is something else (a new question, or not understood)."""
    if not pending:
        return None
    text = normalize(match.text)
    if len(pending) >= 2 and _SECOND.search(text):
        return pending[1]
    if _FIRST.search(text):
        return pending[0]
    if match.intent in pending:
        return match.intent
    if match.action == "clarify" and match.candidates and match.candidates[0].intent in pending:
        return match.candidates[0].intent  # asked the same ambiguous thing again: take the top
    if match.intent == "yes":
        return pending[0]
    if match.intent == "no":
        return REJECT
    return None
