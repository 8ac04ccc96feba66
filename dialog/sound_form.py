"""Rules written in characters, applied to how an utterance sounds.

Some rules read the whole utterance with a regular expression (dialog.duty_shapes: 大厅 …
排队). On the phone the recognizer writes a word it heard right with other characters of the
same sound (大厅 as 大听, 欠税 as 欠睡, 寄到 as 记到), and the rule no longer sees it.

The sound form writes each character of the text as two: a symbol of its tone-exact syllable
(a private-use character) and the character itself. A rule's pattern is rewritten to match
it: a word of two or more characters matches by its syllables whatever characters carry
them, while a single character stays exact — one syllable has too many homophones (店 and 电
would make 办了好几张电话卡 a shop registered in the caller's name). `.` becomes one
character pair, so `.{0,8}` keeps its meaning. Readings are per character, without context,
so text and pattern always agree on a heteronym. Patterns may use literals, `.`, groups,
alternation and quantifiers, not escapes or character classes. Pure.
"""

from __future__ import annotations

import re
from functools import lru_cache

from dialog.normalize import to_pinyin

__all__ = ["sound_form", "sound_pattern"]

_HAN = re.compile(r"[\u4e00-\u9fff]")
_SYMBOLS: dict[str, str] = {}  # tone-exact syllable → its symbol (stable within a process)
_FIRST_SYMBOL = 0xE000  # the Unicode private use area: never in a transcript
_SYNTAX = frozenset("()|?*+")


@lru_cache(maxsize=16384)
def _symbol(char: str) -> str:
    syllable = to_pinyin(char, tone=True)[0]
    return _SYMBOLS.setdefault(syllable, chr(_FIRST_SYMBOL + len(_SYMBOLS)))


def sound_form(text: str) -> str:
    """`text` as (syllable symbol, character) pairs; other characters doubled."""
    return "".join(_symbol(c) + c if _HAN.match(c) else c + c for c in text)


def sound_pattern(pattern: str) -> str:
    """A regular expression over characters, rewritten to match `sound_form` texts."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if _HAN.match(char):
            end = i
            while end < len(pattern) and _HAN.match(pattern[end]):
                end += 1
            run = pattern[i:end]
            # one group per character, so a quantifier after it (了?) takes the whole pair
            out += [f"(?:{_symbol(c)}{'.' if len(run) > 1 else re.escape(c)})" for c in run]
            i = end
        elif char == "{":  # a quantifier: copied as it is
            end = pattern.index("}", i) + 1
            out.append(pattern[i:end])
            i = end
        elif char == "(" and pattern.startswith("(?", i):
            out.append(pattern[i:i + 3])  # (?: (?= (?!
            i += 3
        elif char in "\\[":
            raise ValueError(f"sound_pattern: no escapes or classes: {pattern!r}")
        else:
            out.append("(?:..)" if char == "." else char if char in _SYNTAX
                       else f"(?:{re.escape(char) * 2})")
            i += 1
    return "".join(out)
