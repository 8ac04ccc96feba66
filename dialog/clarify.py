"""Resolving a clarifying question: which of the named intents did the caller pick?

After "您是想咨询{a}，还是{b}？" the caller may say yes (the first), no (neither), an ordinal
(第二个, 后面那个), or ask again in other words; the matcher's result of that utterance and
its text decide. Pure functions; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from difflib import SequenceMatcher

from dialog.normalize import normalize
from dialog.types import MatchResult

REJECT = "<none>"
"""`choose` result when the caller said neither of the intents is what they meant."""

_FIRST = re.compile(r"第一|头一个|前一个|前面的|前面那|前面这|前头|前边|前者|上一个|第1|头个|前面$")
# What may stand around an offer's words in a bare answer (我就是要投诉).
_ECHO_FILLERS = re.compile(r"[我就是要想的吧啊呀呢了嗯对那个这，,。！!？? ]")
_SECOND = re.compile(r"第二|后一个|后面的|后面那|后面这|后头|后边|后者|下一个|最后那|第2|后面$")


def choose(pending: tuple[str, ...], match: MatchResult,
           words: dict[str, tuple[str, ...]] | None = None,
           department_of: Callable[[str], str | None] | None = None) -> str | None:
    """The intent of `pending` the caller chose, REJECT for "neither", None when the
    utterance is something else (a new question, or not understood). `words`: each pending
    intent's name and keywords, for a choice made by naming one (公积金的). `department_of`:
    an intent's department, so that a choice named in words the matcher reads as a sibling
    of the named offer (公积金的 → hpf_withdraw, after 社保缴费记录查询还是公积金查询) is
    still that offer."""
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
    if words and len(pending) >= 2 and match.intent is None and not match.routed and (
            named := _named(pending, text, words)) is not None:
        return named
    if words and department_of and (sibling := _sibling_named(
            pending, match, text, words, department_of)) is not None:
        return sibling
    if words and len(pending) >= 2 and (echoed := _echoed(pending, text, words)) is not None:
        return echoed
    if match.intent == "yes":
        return pending[0]
    if match.intent == "no":
        return REJECT
    return None


def _sibling_named(pending: tuple[str, ...], match: MatchResult, text: str,
                   words: dict[str, tuple[str, ...]],
                   department_of: Callable[[str], str | None]) -> str | None:
    """The offer named in the caller's words when the matcher read them as another intent
    of that offer's department (a reply, not a new question to another department)."""
    if len(pending) < 2 or match.intent is None or match.intent in pending or match.routed:
        return None
    heard = department_of(match.intent)
    named = _named(pending, text, words, lambda i: department_of(i) == heard)
    if named is None or department_of(named) is None:
        return None
    return named if heard == department_of(named) else None


def _echoed(pending: tuple[str, ...], text: str,
            words: dict[str, tuple[str, ...]]) -> str | None:
    """The one offer whose words the caller only repeated, with nothing but fillers around
    them (投诉，我就是要投诉 after 投诉工作人员还是提意见建议): an answer, although the matcher
    reads the bare word as some FAQ of its own."""
    named = _named(pending, text, words)
    if named is None:
        return None
    rest = text
    for word in sorted((normalize(w) for w in words.get(named, ())), key=len, reverse=True):
        for size in range(len(word), 1, -1):  # the longest piece of the word said
            rest = _remove_pieces(rest, word, size)
    return named if not _ECHO_FILLERS.sub("", rest) else None


def _remove_pieces(text: str, word: str, size: int) -> str:
    for start in range(len(word) - size + 1):
        text = text.replace(word[start:start + size], "")
    return text


def _named(pending: tuple[str, ...], text: str, words: dict[str, tuple[str, ...]],
           prefer: Callable[[str], bool] | None = None) -> str | None:
    """The one pending intent whose name or keyword shares the longest piece (two characters
    at least) with the caller's words, None on a tie: after 社保缴费记录还是公积金余额, 公积金的
    names the second. A tie goes to the one offer `prefer` picks (the department the matcher
    heard: 是投诉你们政务中心的人 between two complaint lines)."""
    longest = {i: max((_common(text, normalize(w)) for w in words.get(i, ())), default=0)
               for i in pending}
    best = max(longest.values(), default=0)
    winners = [i for i, n in longest.items() if n == best]
    if len(winners) > 1 and prefer is not None:
        winners = [i for i in winners if prefer(i)]
    return winners[0] if best >= 2 and len(winners) == 1 else None


def _common(a: str, b: str) -> int:
    """Length of the longest piece `a` and `b` share."""
    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match().size
