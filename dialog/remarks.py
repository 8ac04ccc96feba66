"""Remarks that ask nothing: 医院那个张医生人挺好的, 物业的小王人不错, 食堂的饭比外面的好吃.

A caller who says a doctor is nice or the canteen food is good names a department's people or
places (医生, 物业, 交警) and nothing else, so the matcher took the remark for the
hospital-complaint line or the property-dispute FAQ. The shape gives it away: the whole
utterance is a subject and a good word about it (人挺好的, 不错, 挺帅的, 比外面的好吃). Praise
that asks for something is a request and is left alone: 我要表扬…, 谢谢…, 送锦旗 (the hotline
records praise), as is any remark with a "but" or a complaint in it (人挺好就是有点凶). The
matcher treats a match as chatter (`Matcher._decide`, `signals.remark`). Pure; no I/O.
"""

from __future__ import annotations

import re

__all__ = ["is_a_remark"]

_GOOD = "好|不错|帅|漂亮|热情|耐心|和气|客气|负责|好吃|好喝|香|干净|舒服|方便"
_DEGREE = "挺|很|真|特别|蛮|可|太|非常|老|贼|超"
_PATTERN = re.compile(
    rf"(?P<subject>.{{2,16}}?)(?P<how>人|长得|穿着|做的|比.{{1,8}})?(?P<degree>{_DEGREE}|好)?"
    rf"(?:{_GOOD})(?:的|了|得很|极了|死了)?(?:啊|呢|呀|哈|嘛|哦)*")
# A request after all, or a complaint inside the remark.
_MATTER = re.compile("表扬|感谢|谢谢|锦旗|夸|投诉|举报|反映|建议|但|就是|可是|不过|只是|不|没|别|"
                     "怎么|如何|哪|吗|能|可以|要|想|请|帮|咋|啥|什么|还是|再|重复")


def is_a_remark(text: str) -> bool:
    """Is the whole (normalised) utterance a good word about someone or something, asking
    nothing and reporting nothing?"""
    found = _PATTERN.fullmatch(text)
    # said of someone or something (人挺好, 比外面的好吃, 挺帅), not a bare 好 (再说一遍好)
    return (found is not None and bool(found["how"] or found["degree"])
            and _MATTER.search(text.replace("不错", "")) is None)
