"""Errands asked of the bot: call me a taxi, order a meal, book a ticket.

叫个出租车去机场，明早五点 and 帮我叫辆出租车到人民医院门口 name the taxi-complaint line's word
(出租车) and a hospital's, so the matcher sent them to the transport bureau's queue. What gives
them away is the opening: a verb of ordering (叫, 喊, 约, 订, 点, 买), perhaps after 帮我, and a
ride, a meal or a ticket — something a person or an app does, not a department. Appointments
and queue numbers (帮我约个号, 预约) are the hotline's own and are no errand. The matcher treats
an errand as an aside (`Matcher._decide`, `signals.errand`). Pure; no I/O.
"""

from __future__ import annotations

import re

__all__ = ["is_an_errand"]

_THING = ("出租车|的士|出租|滴滴|网约车|快车|专车|顺风车|代驾|车|外卖|饭|盒饭|餐|机票|火车票|"
          "高铁票|车票|电影票|门票|酒店|宾馆|房间|奶茶|咖啡|蛋糕|花|鲜花")
_ERRAND = re.compile(
    rf"(?:你们|你|您)?(?:能不能|能|可以|可不可以)?"  # 你们能帮我叫个出租车吗
    rf"(?:(?:麻烦(?:你)?|帮(?:我|忙)|给我|替我)+(?:叫|喊|约|订|预订|点|买)|叫|喊|约|订|预订|点)"
    rf"(?![了的过着])(?:一)?(?:个|辆|台|张|份|杯|束|间)?.{{0,8}}?(?:{_THING})")
# A matter after all: a complaint about the ride or the order, a question about its tax or
# its receipt. Not any 不: 我腿脚不方便 says why the caller wants the taxi.
_MATTER = re.compile("投诉|举报|反映|乱收费|多收|绕路|拒载|不给|不让|不打表|不开|不走|不拉|"
                     "不来|不送|没给|没开|没来|没送|没到|怎么|如何|交.{0,2}税|什么税|报销|"
                     "发票|罚|退|坏|肚子|病|过期|脏|异物")


# A favour no office does: a match made, a baby named.
_FAVOUR = re.compile(r"介绍(?:一个|个)?(?:对象|媳妇|老婆|女朋友|男朋友)|"
                     r"起(?:个|一个)?好名字.{0,12}推荐|"
                     r"(?:帮我|给我|帮忙)起(?:一个|个)?(?:好)?(?:名字|名)|(?:帮我|给我)起一个")


# A repair at home (家里卫生间水管爆了…你们能派个师傅来修一下不; blind41): a plumber's job; the
# property firm or a landlord that will not send one is a complaint.
_REPAIR = re.compile(r"(?:家里|屋里|卫生间|厨房|厕所|俺家|我家).{0,20}?(?:派|叫|找)(?:个|一个)?"
                     r"(?:师傅|人)(?:来|上门)?(?:给)?(?:修|看|通|弄)")
_REPAIR_OURS = re.compile("物业|开发商|房东|不修|不来|不管|投诉|举报")


def is_an_errand(text: str) -> bool:
    """Does the (normalised) utterance open by asking the bot to order a ride, a meal, a
    ticket or a room (not one ordered before: 叫了, 点的), and complain about nothing?"""
    if _FAVOUR.search(text) or (_REPAIR.search(text) and not _REPAIR_OURS.search(text)):
        return True
    return _ERRAND.match(text) is not None and _MATTER.search(text) is None
