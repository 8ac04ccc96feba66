"""Small talk about the people on the line (你们晚上也上班啊，辛苦了; 你们这接电话的工资高不), or a
test of the line (测试).

A caller who asks the hotline's staff how much they earn, whether they are tired or have
eaten names words of the labour bureau's duties (工资, 上班, 招人), and the matcher sent it
to the wage-arrears line or the opening-hours answer. The shape gives it away: "you" and,
soon after, a word about the listener's own pay, work or meal, with no request or problem in
the call. A question about the hall's hours (你们几点上班) is the opening-hours FAQ, and a
thank-you beside a request (辛苦了，我想问下社保卡怎么补) is the request: both are left alone.
The matcher treats a match as chatter (`signals.small_talk`). Pure; no I/O.
"""

from __future__ import annotations

import re

__all__ = ["is_small_talk"]

_ABOUT_YOU = re.compile(
    r"(?:你们|你|您)(?:这|这儿|那儿|那边)?(?:接电话的|接线员|客服|工作人员)?.{0,6}?"
    r"(?:工资|挣多少|挣得|辛苦|累不累|累吗|累不|吃饭了|吃了没|吃饭没|还招人|招不招人)")
# A request or a problem after all, a question about the hours, or a thank-you and goodbye
# (谢谢你，辛苦了，再见 closes the call).
_MATTER = re.compile("投诉|反映|举报|欠|拖|不给|没发|克扣|扣|怎么|咋|如何|能不能|可不可以|要不要|"
                     "想问|问一下|问下|请问|在哪|哪里|哪儿|几点|什么时候|时间|开门|周末|中午|办|查|"
                     "补|交|领|申请|帮我|我要|我想|谢谢|再见|拜拜")


# A test of the line and nothing else (测试, 喂喂测试测试, 试一下): 测试 alone sounded like a
# taxi or licence matter to the matcher and was asked about (blind5).
_LINE_TEST = re.compile(r"(?:喂|你好)*(?:测试|试试|试一下)+(?:一下)?")


def is_small_talk(text: str) -> bool:
    """Does the (normalised) utterance only make small talk about the hotline's staff, or
    only test the line?"""
    if _LINE_TEST.fullmatch(text):
        return True
    return _ABOUT_YOU.search(text) is not None and _MATTER.search(text) is None
