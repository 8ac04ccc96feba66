"""Emergencies: a fire, a knife, someone about to jump, a child gone, someone not breathing.

着火了快来人 was a no-match answered with the department-choice question, 有人持刀砍人 the same,
有人抢我包 a clarifying question about straw burning, 我邻居要跳楼 was offered the housing
bureau. A city hotline is no emergency line, but a caller who reaches it in danger must hear at
once which number to dial and be put through to a person. This module only recognises such an
utterance and names the service: 119 for fire and gas, 120 for a body in danger, 110 for
violence, crime in progress, someone threatening their life, a missing child. The matcher turns
it into an immediate transfer (signals.emergency, the number), the policy says the `emergency`
prompt first.

Words for what is happening now, not what happened once: a question about fire insurance,
last year's fire or how to claim for a theft is no emergency (those words are excluded), and
the matter alone (火灾, 盗窃) never is. Pure; no I/O.
"""

from __future__ import annotations

import re

__all__ = ["EMERGENCY_NUMBERS", "emergency_number"]

EMERGENCY_NUMBERS = ("110", "119", "120")

# 着火 after 打(不)/点(不) is a stove or an engine that will (not) light: 燃气灶打不着火了.
_FIRE = re.compile(r"(?<![打点])(?<!打不)(?<!点不)着火了|失火了|起火了|烧起来了|火烧起来|冒大火|"
                   r"火很大|火好大|煤气泄漏|燃气泄漏|"
                   r"天然气泄漏|闻到(?:煤气|燃气|天然气)味|(?:煤气|燃气|液化气)罐?(?:爆炸|炸了)")
_BODY = re.compile(r"晕倒了|昏倒了|昏迷了|不省人事|没气了|没有呼吸了?|喘不上气|快不行了|"
                   r"心脏病(?:犯|发)了|大出血|血流不止|溺水了?|掉(?:进)?(?:河|水|湖)里了|触电了|口吐白沫|"
                   r"摔(?:倒|在)?(?:了|在)?地上起不来|叫(?:个|辆)?救护车(?![的费收花要多])|救护车(?:咋|怎么)叫")
_POLICE = re.compile(r"(?:持|拿|拎)(?:着)?(?:刀|枪|棍)|砍人|杀人了?|行凶|正在(?:打|抢|偷|砸)|抢劫|"
                     r"抢(?:我|了我)的?(?:包|手机|钱)|被抢了|救命|出人命了|要跳楼|想跳楼|跳楼了|"
                     r"(?:要|想)自杀|轻生|(?:孩子|娃|小孩|儿子|女儿)(?:丢了|不见了|被人抱走|被拐)|"
                     r"(?:老人|老爷子|老太太|老爷爷|老奶奶|我爸|我妈|爷爷|奶奶|老伴)(?:又)?"
                     r"(?:走丢了|走失了|不见了|找不到了|找不着了)|"
                     r"绑架|劫持|打起来了|有人(?:在)?(?:撬|砸)(?:我的?|我家的?)?(?:门|锁|车)")
# Words of a body in danger that, beside these, are of something else: 没气了 of a gas supply,
# a heating or a tyre (家里天然气一个礼拜没气了, blind29); 喘不上气 of smoke or a smell, a
# complaint about the air (烧垃圾…那个味呛得人喘不上气, blind31).
_NOT_A_BODY = {
    "没气了": re.compile("天然气|燃气|煤气|液化气|暖气|气罐|轮胎|车胎|打气"),
    "喘不上气": re.compile("味|烟|呛|熏|灰|臭"),
}
# A question or complaint about such a thing, not the thing happening: insurance, a claim, a
# record, the past, what keeps happening, what might happen, a complaint about how it was
# handled.
_NOT_NOW = re.compile(r"保险|理赔|赔偿|赔钱|补贴|工伤|认定|病历|复印|以前|去年|上次|上个月|那年|"
                      r"当年|昨天|昨晚|前天|前几天|那天|上周|上礼拜|上星期|经常|老是|总是|天天|每天|"
                      r"好几回|好几次|几回了|几次了|"
                      # what might happen (这要着火了人往哪跑, 万一起火了)
                      r"要是|万一|假如|如果|一旦|这要|真要|真着火|"
                      r"怎么办理|怎么申请|没通知|不给|投诉|举报|反映|责任|说法|医疗事故|鉴定|"
                      r"电影|电视剧|小说|游戏|演习|培训|宣传")


def emergency_number(text: str) -> str | None:
    """The emergency service the (normalised) utterance needs now — "119", "120" or "110" —
    or None."""
    if _NOT_NOW.search(text):
        return None
    if _FIRE.search(text):
        return "119"
    body = _BODY.search(text)
    if body:
        other = _NOT_A_BODY.get(body.group(0))
        if other is None or not other.search(text):
            return "120"
    if _POLICE.search(text):
        return "110"
    return None
