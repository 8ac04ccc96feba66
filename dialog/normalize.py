"""Text normalisation for intent matching: one canonical form for what a caller said.

Recognizer output arrives with full-width characters, traditional script (Whisper), stray
punctuation and the hesitations of spoken Chinese (嗯, 那个, 请问 …). `normalize` folds all of
that away so the matcher compares like with like; `to_pinyin` gives the sound of a text, which
is what survives homophone recognition errors (医保 → 一宝). Pure functions, no I/O (OpenCC
and pypinyin load their tables once, from their packages).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import opencc
from pypinyin import Style, lazy_pinyin

# Clause separators: any punctuation, symbol or whitespace. Fillers are only dropped at the
# edges of a clause, so the split has to happen before punctuation is thrown away.
_CLAUSE_SPLIT = re.compile(r"[\s\W_]+", re.UNICODE)

# Hesitation sounds carry no meaning anywhere in an utterance. 额 is NOT here: it is also the
# 额 of 金额 (amount); it is only dropped at the start of a clause.
_INTERJECTIONS = re.compile(r"[嗯呃唔]+")

# Dropped from the start of a clause, longest first, repeatedly (请问，那个，我想问一下 …).
_LEADING_FILLERS: tuple[str, ...] = tuple(
    sorted(
        (
            "我想问一下", "我想问问", "我想咨询一下", "我想咨询下", "想咨询一下", "想问一下",
            "我问一下", "我咨询一下", "咨询一下", "问一下", "麻烦问一下", "麻烦问下",
            "打扰一下", "不好意思", "请问一下", "请问", "麻烦你", "麻烦您", "那个",
            "就是", "然后", "额", "啊", "哦", "噢", "哎", "唉", "喂", "诶", "欸",
        ),
        key=len,
        reverse=True,
    )
)
# Said alone, 就是 means "exactly" (a yes): it is only a filler in front of more words.
_MEANINGFUL_ALONE = frozenset({"就是"})
# Greetings only count as filler at the very start of the utterance.
_GREETINGS: tuple[str, ...] = ("你好", "您好", "喂", "哈喽")

_TRIPLED = re.compile(r"([\u4e00-\u9fff])\1{2,}")  # Chinese only: 12333 stays
# Phone and hotline numbers read digit by digit (一二三四五, 幺二三三三): three or more digit
# characters in a row are a number, never words (一下, 一个 and 三五 stay text).
_DIGIT_RUN = re.compile(r"[零〇一二三四五六七八九幺]{3,}")

# Sentence-final particles: dropped at the end of a clause (能报销吗 → 能报销).
_TRAILING_PARTICLES = "吗呢吧呀啊哈嘛啦哦噢"  # not 么: 什么/怎么 end with it
# Words that end in a particle's character: kept whole (黑网吧 is an internet café, not 黑网).
_PARTICLE_WORDS = ("网吧", "酒吧", "贴吧", "书吧", "水吧", "氧吧", "清吧", "毛呢")

_DIGITS = {"零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_MYRIADS = {"万": 10_000, "亿": 100_000_000}


@cache
def _t2s() -> opencc.OpenCC:
    """The traditional→simplified converter; building it reads its tables once."""
    return opencc.OpenCC("t2s")


def to_halfwidth(text: str) -> str:
    """Full-width letters, digits and punctuation to their ASCII forms (ＡＢＣ１２３ → ABC123)."""
    return unicodedata.normalize("NFKC", text)


def to_simplified(text: str) -> str:
    """Traditional Chinese characters to simplified (營業執照 → 营业执照)."""
    return str(_t2s().convert(text))


def _strip_leading(clause: str, fillers: tuple[str, ...]) -> str:
    """Drop fillers from the start of a clause until none is left at the front."""
    changed = True
    while changed and clause:
        changed = False
        for filler in fillers:
            if clause.startswith(filler) and len(clause) > len(filler):
                clause = clause[len(filler) :]
                changed = True
                break
            if clause == filler:
                return clause if filler in _MEANINGFUL_ALONE else ""
    return clause


def _clean_clause(clause: str, first: bool) -> str:
    """One clause without interjections, leading fillers and trailing particles."""
    clause = _INTERJECTIONS.sub("", clause)
    if first:
        clause = _strip_leading(clause, _GREETINGS)
    clause = _strip_leading(clause, _LEADING_FILLERS)
    # A particle left alone (呀 after 那个) is no word either: a single rare character once
    # routed a whole utterance by the BM25 coverage of one example that had it.
    while clause and clause[-1] in _TRAILING_PARTICLES and not clause.endswith(_PARTICLE_WORDS):
        clause = clause[:-1]
    return clause


def normalize_numbers(text: str) -> str:
    """Digit-by-digit spoken numbers as Arabic digits (拨打一二三三三 → 拨打12333)."""
    return _DIGIT_RUN.sub(lambda m: "".join(str(_DIGITS[c]) for c in m.group()), text)


def normalize(text: str) -> str:
    """Canonical form of an utterance: half-width, simplified, lower case, no punctuation,
    no whitespace, no filler words, and digit-by-digit numbers as digits. Meaning-bearing
    words are never removed: fillers go only at clause edges, so 就是 in 是不是就是这个 or 那个
    in 不是那个 survive mid-clause."""
    text = to_simplified(to_halfwidth(text)).lower()
    clauses = [c for c in _CLAUSE_SPLIT.split(text) if c]
    kept: list[str] = []
    for clause in clauses:
        cleaned = _clean_clause(clause, first=not kept)
        if cleaned:
            kept.append(cleaned)
    # 对对对 / 好好好 are one word said thrice; doubled words (谢谢, 拜拜, 查查) are kept.
    return _TRIPLED.sub(r"\1", normalize_numbers("".join(kept)))


def _split_chars(run: str) -> list[str]:
    return list(run)


def to_pinyin(text: str, tone: bool = False) -> list[str]:
    """Pinyin of `text`, exactly one item per character, so index i is the sound of text[i].

    Toneless by default (医保 → ['yi', 'bao']); with `tone=True` the tone number follows the
    syllable (['yi1', 'bao3']). Characters without pinyin (digits, letters, punctuation) stand
    for themselves. Readings come from whole phrases, so heteronyms follow context (银行 → hang)."""
    style = Style.TONE3 if tone else Style.NORMAL
    # pypinyin documents list results from `errors` (one item each); its stubs say str only.
    return list(lazy_pinyin(text, style=style, errors=_split_chars))  # type: ignore[arg-type]


def chinese_to_int(text: str) -> int | None:
    """Value of a Chinese numeral (二十 → 20, 一百零五 → 105, 三千二 → 3200, 12 → 12).

    Returns None when `text` is not a numeral. Used for amounts and dates callers say."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(c not in _DIGITS and c not in _UNITS and c not in _MYRIADS for c in text):
        return None
    if all(c in _DIGITS for c in text) and len(text) > 1:
        return int("".join(str(_DIGITS[c]) for c in text))  # 一二三四五 read digit by digit
    return _parse_numeral(text)


def _parse_numeral(text: str) -> int:
    """Positional parse of a numeral that uses 十/百/千/万/亿 units."""
    total, section, digit, last_unit = 0, 0, 0, 1
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            last_unit = _UNITS[char]
            section += (digit or 1) * last_unit  # 十 alone means 一十
            digit = 0
        else:
            total = (total + section + digit) * _MYRIADS[char]
            section, digit, last_unit = 0, 0, _MYRIADS[char]
    # A trailing bare digit after a unit abbreviates the next unit down: 三千二 = 3200.
    if digit and last_unit >= 100 and text[-1] in _DIGITS and text[-2] not in _DIGITS:
        digit *= last_unit // 10
    return total + section + digit
