"""Numbers as a Mandarin speaker reads them aloud: amounts, digit strings, decimals.

Two readings matter on a hotline. Quantities are read as amounts (1234 → 一千二百三十四,
10 → 十, 105 → 一百零五). Numbers that are dialled or checked digit by digit (hotlines,
phone numbers, work-order and ID numbers) are read one digit at a time, with 幺 for 1 as
Chinese call centres do, because 一 and 七 are easily confused on a narrow-band line.
Pure functions, no I/O.
"""

from __future__ import annotations

DIGITS = "零一二三四五六七八九"
PHONE_DIGITS = "零幺二三四五六七八九"  # 1 as 幺: the call-centre reading of dialled numbers
_SMALL_UNITS = ("", "十", "百", "千")
_BIG_UNITS = ("", "万", "亿", "万亿")


def _four(n: int) -> str:
    """0 < n < 10000 as 千百十 with inner zeros spoken once (1005 → 一千零五)."""
    out: list[str] = []
    zero_pending = False
    for power in (3, 2, 1, 0):
        d = n // 10**power % 10
        if d == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(DIGITS[d] + _SMALL_UNITS[power])
    return "".join(out)


def cardinal(n: int) -> str:
    """A non-negative integer read as an amount: 12 → 十二, 12333 → 一万二千三百三十三.

    Numbers past 10^16 are read digit by digit: nobody says them as amounts.
    """
    if n < 0:
        return "负" + cardinal(-n)
    if n == 0:
        return "零"
    if n >= 10**16:
        return digits(str(n))
    groups: list[int] = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out: list[str] = []
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            continue
        if out and g < 1000:  # 10,0500 → 十万零五百
            out.append("零")
        out.append(_four(g) + _BIG_UNITS[i])
    text = "".join(out)
    # 10-19 at the head are read 十, 十五 (not 一十五): "一十" only stays inside a number.
    if text.startswith("一十"):
        text = text[1:]
    return text


def digits(text: str, *, phone: bool = False) -> str:
    """Each ASCII digit of `text` read alone (phone=True reads 1 as 幺); others dropped."""
    table = PHONE_DIGITS if phone else DIGITS
    return "".join(table[int(ch)] for ch in text if ch.isascii() and ch.isdigit())


def decimal(text: str) -> str:
    """"3.5" → 三点五, "12" → 十二, "0.05" → 零点零五: the integer part as an amount and
    every digit after the point read alone."""
    whole, _, frac = text.partition(".")
    head = cardinal(int(whole)) if whole else "零"
    return head + ("点" + digits(frac) if frac else "")


def money(text: str) -> str:
    """An amount of yuan: "100" → 一百元, "12.50" → 十二元五角, "0.05" → 五分."""
    whole, _, frac = text.partition(".")
    frac = (frac + "00")[:2]
    jiao, fen = int(frac[0]), int(frac[1])
    parts: list[str] = []
    if (whole and int(whole) > 0) or (jiao == 0 and fen == 0):
        parts.append(cardinal(int(whole or "0")) + "元")
    if jiao:
        parts.append(DIGITS[jiao] + "角")
    if fen:
        if parts and not jiao:
            parts.append("零")
        parts.append(DIGITS[fen] + "分")
    return "".join(parts)
