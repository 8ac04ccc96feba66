"""What a holding caller's words mean: ask for a callback, keep waiting, leave a message, or
yes/no to a read-back number. Pure, keyword based: the choices are few and fixed, and the
words for them are short, so a phrase list is more reliable here than the intent matcher.

Refusals are read before the words they contain ("不等了" holds 等, "不对" holds 对).
"""

from __future__ import annotations

import re
from enum import Enum


class HoldWord(Enum):
    CALLBACK = "callback"
    WAIT = "wait"
    MESSAGE = "message"
    YES = "yes"
    NO = "no"


_PUNCT = re.compile(r"[\s，。！？、,.!?；;：:“”\"'…~]+")
_CALLBACK = ("回电", "回拨", "打回来", "打过来", "给我打", "回个电话", "不等了", "不想等",
             "等不了", "不等", "算了", "太久", "没时间等")
_MESSAGE = ("留言", "留个言", "留个话", "留话")
_WAIT = ("继续等", "我等", "等着", "等一下", "等一等", "再等", "可以等", "我再等")
_NO = ("不对", "不是", "错了", "不要这个", "换一个", "换个号", "换号", "别的号", "另一个")
_YES = ("对", "是的", "是", "没错", "可以", "好的", "好", "行", "确认", "嗯", "就这个", "没问题")


def hold_word(text: str) -> HoldWord | None:
    """The meaning of `text` for a holding caller, or None (not one of the choices)."""
    t = _PUNCT.sub("", text)
    if not t:
        return None
    if any(w in t for w in _MESSAGE):
        return HoldWord.MESSAGE
    if any(w in t for w in _CALLBACK):
        return HoldWord.CALLBACK
    if any(w in t for w in _NO):
        return HoldWord.NO
    if any(w in t for w in _WAIT):
        return HoldWord.WAIT
    # "好"/"是" occur inside any sentence: a yes is short or starts with the word
    if any(t.startswith(w) for w in _YES) or (len(t) <= 4 and any(w in t for w in _YES)):
        return HoldWord.YES
    return None
