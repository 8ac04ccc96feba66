"""A bus line named by its number is a bus: 23路 is said as 23路公交 before matching.

Callers name the line, not the service: 早上七点那趟23路…老是不进站, 38路早上六点半那班又没来,
12路车这个月老是不准点 (blind27, blind18, blind11, blind6: four writers) carry no 公交 or
公交车, so no transport word was heard and the problem was declined, or read as another FAQ.
A number of one to three digits, or a spoken one with 十 (十八路, 二十三路), before 路 is a
line; 一路 (all the way), 五一路 (a street) and an address (解放路88号, 三路口) are not. The
examples are folded the same way, so 28路末班车几点 still reads as the bus-route question.
Pure; no I/O.
"""

from __future__ import annotations

import re

__all__ = ["name_bus_lines"]

_LINE = re.compile(
    r"(?<![0-9零〇一二三四五六七八九十百A-Za-z])"
    r"([0-9]{1,3}|[一二三四五六七八九]?十[一二三四五六七八九]?)路"
    r"(?!公交|口|段|号|[0-9])")


def name_bus_lines(text: str) -> str:
    """`text` with 公交 after every bus line's number (23路 → 23路公交, 23路车 → 23路公交车)."""
    return _LINE.sub(r"\1路公交", text)
