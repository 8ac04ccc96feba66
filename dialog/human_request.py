"""A caller asking for a person: the one request that must never be missed.

转人工 was the only words the policy took as a request for a human at any point of a call
(the survey, a clarifying or department question). Callers say it many ways — 你给我转个真人,
找个人跟我说吧, 叫个活人来, 我要找接线员 — and the human_agent intent's classifier, whose
chatter class is full of calls for somebody else (我找张经理), vetoed some of them as chatter
(你给我转个真人: chatter 0.70). Asking for a person, a human, an operator or customer service
by a verb of fetching or putting through is a request for the hotline's staff wherever it
is said. Pure; no I/O.
"""

from __future__ import annotations

import re

__all__ = ["asks_for_person"]

# 人工 but not 人工授精 (an insurance question), 人工智能, 人工降雨, 人工湖
_STAFF = "真人|活人|人工(?!授精|智能|降雨|增雨|湖|岛)|工作人员|客服|接线员|话务员|值班的|坐席"
_FETCH = "找|转|叫|换|接|要|让|请|来|跟|和|同"
_PATTERN = re.compile(
    rf"转人工|(?:{_FETCH})(?:个|一个|一下|给我|我)?(?:{_STAFF})"
    # 找个人 / 叫个人来 / 给我找个人吧: a person, at the end of what was said
    rf"|(?:找|叫|换|转)(?:个|一个)人(?:来|吧|啊|呀|嘛|跟我说|和我说|跟我讲|接)*$"
    # 找个人听我说: a person to listen, wherever it is said
    rf"|(?:找|叫|换)(?:个|一个)人(?:听我|跟我说|和我说|跟我讲|跟我聊)"
    # 别问了，叫人: 叫人 / 找人 as the last words
    rf"|(?:叫|找)人(?:来|吧|啊|呀)*$")
_NOT_WORDS = re.compile(r"[\W_]+")


def asks_for_person(text: str) -> bool:
    """Does the caller ask to be put through to a person (转人工, 你给我转个真人, 找个人吧)?"""
    return _PATTERN.search(_NOT_WORDS.sub("", text)) is not None
