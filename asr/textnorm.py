"""Clean up recognizer output and score it: simplified script, no boilerplate, CER.

Whisper often writes traditional characters for Mandarin and, on silence or noise, emits
subtitle-credit boilerplate learned from video subtitles; both are removed here before the
dialog sees the text. `scoring_text` is the form two transcripts are compared in, and `cer`
the character error rate on it, used by tests and benchmarks.
Pure functions, no I/O (OpenCC loads its conversion table once, from its package).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import opencc
from rapidfuzz.distance import Levenshtein

_CJK = r"\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
# Spaces between two CJK characters (or CJK punctuation) carry no meaning in Chinese.
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")

# Subtitle credits and channel plugs Whisper hallucinates on silence or noise (matched after
# conversion to simplified). Each runs to the end of its line: they are never caller speech.
_HALLUCINATIONS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"请不吝点赞.*",
        r"(请)?(点赞|订阅|转发|打赏)[ ,，、]*(订阅|转发|打赏|支持)[^\n]*",
        r"(明镜与点点|明镜需要您的支持)[^\n]*",
        r"字幕\s*(by|BY|由|提供|制作|组|志愿者|:|：)[^\n]*",
        r"[^\n]*amara\.org[^\n]*",
        r"优优独播剧场[^\n]*",
        r"(谢谢|感谢)(大家|您)?(的)?(收看|观看)[。！!]*",
    )
]


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert traditional Chinese characters to simplified (OpenCC t2s); others unchanged."""
    return str(_converter().convert(text)) if text else text


def _drop_hallucinations(text: str) -> str:
    for pattern in _HALLUCINATIONS:
        text = pattern.sub("", text)
    return text


def normalize_transcript(text: str) -> str:
    """Recognizer text → simplified, boilerplate removed, CJK spacing collapsed, stripped."""
    text = _drop_hallucinations(to_simplified(text))
    text = _SPACES.sub(" ", text).strip()
    return _CJK_SPACE.sub("", text)


def scoring_text(text: str) -> str:
    """The characters a transcript is scored on: simplified script, full-width forms folded
    to half-width (NFKC), Latin case-folded, punctuation, symbols and whitespace dropped.

    Unlike `normalize_transcript` (what the dialog sees) it keeps nothing that recognizers
    write differently for the same words, so "轉人工。" and "转 人工" both give "转人工".
    Boilerplate is not removed: a hallucinated credit counts against a transcript.
    """
    kept = (
        ch
        for ch in unicodedata.normalize("NFKC", to_simplified(text)).casefold()
        if not ch.isspace() and unicodedata.category(ch)[0] not in "PS"
    )
    return "".join(kept)


def cer(ref: str, hyp: str) -> float:
    """Character error rate of `hyp` against `ref`: edits / reference length.

    Both sides are compared in their `scoring_text` form (punctuation, whitespace, script,
    width and Latin case do not count), so "醫保。" vs "医保" scores 0. An empty reference
    scores 0.0 for an empty hypothesis, else 1.0.
    """
    r, h = scoring_text(ref), scoring_text(hyp)
    if not r:
        return 0.0 if not h else 1.0
    return Levenshtein.distance(r, h) / len(r)


def toneless_syllables(text: str) -> list[str]:
    """The Mandarin syllables of `text` without tones, in scoring form: "医保。" → [yi, bao].

    Characters with no pinyin (Latin, digits) count as one unit each, so they still score.
    """
    from pypinyin import Style, lazy_pinyin  # deferred: its dictionaries take a moment

    return [s for s in lazy_pinyin(scoring_text(text), style=Style.NORMAL) if s]


def syllable_error(ref: str, hyp: str) -> float:
    """Toneless-pinyin syllable error of `hyp` against `ref`: edits / reference syllables.

    Homophones written with other characters (报销 heard as 报消) score 0 here but count in
    `cer`: the two together tell "the caller heard the right sounds" from "the recognizer
    spelled them as the reference does". Empty reference: 0.0 for empty `hyp`, else 1.0.
    """
    r, h = toneless_syllables(ref), toneless_syllables(hyp)
    if not r:
        return 0.0 if not h else 1.0
    return Levenshtein.distance(r, h) / len(r)
