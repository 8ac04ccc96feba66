"""The sound of an utterance, computed once per match: tone-aware, toneless and loosened pinyin.

Recognisers get Mandarin mostly right by sound and wrong by character (医保 → 一宝, 公积金 →
攻击金), so the matcher compares sounds as well as characters. Three levels, from strict to
forgiving: pinyin with tone numbers (a same-sound substitution keeps the tone), toneless pinyin
(tone errors), and loosened toneless pinyin that also folds the distinctions accents and
recognisers blur (zh/z, ch/c, sh/s, ing/in, eng/en). Pure; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dialog.normalize import to_pinyin

_LOOSE_RULES = (
    (re.compile(r"^([zcs])h"), r"\1"),
    (re.compile(r"(i|e)ng$"), r"\1n"),
)
_TONE_DIGIT = re.compile(r"[1-5]$")
_INITIAL = re.compile(r"^(zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])")


def loosen(syllable: str) -> str:
    """Fold the pinyin distinctions that callers' accents and recognisers blur (zh→z, ing→in)."""
    for pattern, repl in _LOOSE_RULES:
        syllable = pattern.sub(repl, syllable)
    return syllable


@lru_cache(maxsize=4096)
def onset(syllable: str) -> str:
    """The loosened initial consonant and the tone of a tone-numbered syllable (she4 → s4,
    zhao4 → z4): what a recogniser that slips on the vowel still gets right. Empty without a
    consonant or a tone (an4, neutral de, digits): then there is nothing to hold on to."""
    found = _INITIAL.match(syllable)
    tone = syllable[-1] if syllable[-1:] in ("1", "2", "3", "4") else ""
    if not found or not tone:
        return ""
    return loosen(found.group(0)) + tone


def loose_pinyin(text: str) -> list[str]:
    """Loosened toneless pinyin of an already-normalised text, one item per character."""
    return [loosen(s) for s in to_pinyin(text)]


@dataclass(frozen=True)
class Utterance:
    """A normalised text and its pinyin at three strictness levels, one item per character."""

    text: str
    tones: tuple[str, ...]
    plain: tuple[str, ...]
    loose: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.text)

    def keeping(self, keep: list[bool]) -> Utterance:
        """The utterance with only the characters marked in `keep`, pinyin cut at the same
        places (no second pinyin analysis); itself when every character is kept."""
        if all(keep):
            return self
        pick = [i for i, k in enumerate(keep) if k]
        return Utterance("".join(self.text[i] for i in pick),
                         tuple(self.tones[i] for i in pick),
                         tuple(self.plain[i] for i in pick), tuple(self.loose[i] for i in pick))


@lru_cache(maxsize=16384)
def analyse(norm: str) -> Utterance:
    """The Utterance of an already-normalised text (one pypinyin call, the others derived).

    Cached: building a matcher analyses every example and keyword several times (intents,
    departments), and the result is immutable."""
    tones = tuple(to_pinyin(norm, tone=True))
    plain = tuple(_TONE_DIGIT.sub("", s) if len(s) > 1 else s for s in tones)
    return Utterance(norm, tones, plain, tuple(loosen(s) for s in plain))
