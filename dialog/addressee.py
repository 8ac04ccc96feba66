"""Wrong numbers: a caller who asks whether they reached someone else.

"请问是小区门口卖水果的老板吗" names a street vendor and a residential compound, and the
departments' problem examples are full of both (小区门口有人占道卖水果: urban management), so
the words alone routed this wrong-number call to the housing bureau's queue (route 0.72). What
gives it away is the shape: the whole utterance asks whether the one answering *is* some
person or shop (是王师傅家吗, 你是修鞋的吗, 这里是不是张记饭店). A caller of the hotline
describes a matter or asks how; one who asks "are you X" with X a person or a trade dialled
someone else. The matcher treats such an utterance as chatter (`Matcher._decide`,
`signals.someone_else`). The hotline's own names (是12345吗, 是社保局吗) do not end in a person or
a trade and are left alone. Pure; no I/O.
"""

from __future__ import annotations

import re

__all__ = ["addressed_to_someone_else"]

# Who a wrong number is for: a person by kinship or trade title, or a family or shop.
_PERSON = "老板娘|老板|师傅|先生|女士|小姐|经理|大姐|大哥|阿姨|叔叔|大爷|大妈|家|店|铺|饭馆|餐馆"
# "…的" naming someone by their trade (修鞋的, 卖水果的, 送快递的, 开锁的).
_TRADE = "修|卖|送|开|做|搞|装|补|磨|配|擦"  # not 收: 你们是不是收费的 asks about us
_WHO = r"(?:你们?|您|这里|这儿|那边|那里)?是(?:不是)?(?:那个)?"
_PATTERN = re.compile(
    rf"{_WHO}(?:.{{0,12}}(?:{_PERSON})|.{{0,10}}(?:{_TRADE}).{{1,4}}的)")


# "Wrong number" said outright, with nothing else but apologies; 打 as the recognizer also
# writes it (答错了, 达错了: 护士打针打错了 made 答错了 a hospital complaint by sound).
_SORRY = "(?:不好意思|对不起|抱歉|哎呀|哎|啊|呀|哦)"
_DIALLED_WRONG = re.compile(
    rf"(?:{_SORRY}*(?:我|我们)?(?:好像|可能)?[打答达大搭]错(?:了)?(?:电话|号码?)?(?:了)?{_SORRY}*)+")


def addressed_to_someone_else(text: str) -> bool:
    """Does the whole (normalised: no 喂, 请问 or 吗) utterance ask whether the callee is some
    person or shop (是王师傅家, 是小区门口那个修鞋的), or say the number was wrong (打错了)?"""
    return _PATTERN.fullmatch(text) is not None or _DIALLED_WRONG.fullmatch(text) is not None
