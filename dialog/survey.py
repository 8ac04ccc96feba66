"""The caller's rating of the service, said or keyed after the survey prompt.

"请对本次服务评价，满意请按1，一般请按2，不满意请按3。" Callers press a key or say it:
满意 / 挺好的 (1), 一般 / 还行 (2), 不满意 / 太差了 (3), or the digit (按一, 选2). 不满意 is
read before 满意, which it contains. Pure; no I/O.
"""

from __future__ import annotations

import re

from dialog.normalize import normalize

RATINGS = ("1", "2", "3")
_DIGIT = re.compile(r"(?:按|选|打|给|是)?(?:第)?([123一二三两])\1*(?:个|分|号|键)?")
_WORDS = (  # checked in order: the middling phrases hold words of the other two
    ("2", re.compile(r"不好不坏|说不上好|不上不下|也就那样|就那样|一般般|中规中矩|"
                     r"中间那个|中间的")),
    ("3", re.compile(r"不满意|不太满意|很不满意|太差|很差|真差|差劲|差评|不行|不好|糟糕|垃圾|"
                     r"没解决|不怎么样|不咋地|不咋样|不咋的|孬|烂|拉胯|太次|最后那个|最后一个|最后的")),
    ("2", re.compile(r"一般|还行|还可以|凑合|马马虎虎|过得去|中等|普通|还好|说得过去")),
    ("1", re.compile(r"满意|很好|挺好|非常好|好评|不错|可以|好的|很棒|谢谢你们|点赞|杠杠的|"
                     r"没得说|顶呱呱|好得很|第一个|最前面")),
)
# 就那样吧，2: a single key digit said beside other words
_LONE_DIGIT = re.compile(r"(?<![0-9])([123])(?![0-9])")
_NUMERALS = {"一": "1", "二": "2", "两": "2", "三": "3"}


def read_rating(text: str) -> str | None:
    """The rating ("1" satisfied, "2" so-so, "3" not satisfied) said in `text`, or None."""
    norm = normalize(text)
    if not norm:
        return None
    for rating, words in _WORDS:
        if words.search(norm):
            return rating
    digit = (_DIGIT.fullmatch(norm) or re.search(r"(?:按|选)([123一二三两])", norm)
             or _LONE_DIGIT.fullmatch("".join(_LONE_DIGIT.findall(norm))))
    if digit:
        return _NUMERALS.get(digit.group(1), digit.group(1))
    return None
