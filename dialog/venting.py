"""Venting: a worry about one's own family or about life, told with no request.

Callers ring the line to unburden themselves: 我儿子上大学走了一个多月，一个电话都不往家打,
孩子高考没考好，天天关在屋里不出来…我愁死了, 我孙子不听话，说两句就顶嘴, or ask the operator to
talk a husband round (帮我劝劝我老公). The words are a department's (上大学, 高考 are education's,
找工作 the labour bureau's), so the matcher routed them. The shape gives them away: a member of
the caller's family and how they behave or how the caller feels about it. Anything an office
must act on beside it — a school, an employer, the police, money, violence, a missing person,
a neighbour, a building site's noise — makes it a request after all, and it is left to the
matcher. The same goes for life itself: 这日子没法过了，啥都涨，就工资不涨, 一个人在家好没
意思, 心里憋得慌 — a wage complaint (不发, 拖欠, 扣) is a request, a wage that does not rise is
not. Chosen on dev lines of six writers (blind5, blind10, blind11, blind13, blind16, blind19);
no knowledge-base example or in-scope dev line has either shape. Pure; no I/O.
"""

from __future__ import annotations

import re

__all__ = ["is_venting"]

_WORRY = re.compile(
    r"(?:儿子|女儿|闺女|孩子|娃|小孩|老公|老婆|媳妇|丈夫|婆婆|公公|老伴|老头子|爸|妈|孙子|孙女|"
    r"女婿|儿媳).{0,24}?"
    r"(?:愁死|烦死|气死|操心|操碎|咋这样|怎么这样|咋办才好|不听话|不争气|不懂事|叛逆|顶嘴|不理我|"
    r"不回家|不往家|不着家|不出门|关在屋|天天打游戏|成天打游戏|光打游戏|玩手机|不吃饭|饭也不吃|"
    r"吵架|闹翻|闹离婚|伤心|心里难受|心里堵|劝劝)")
# Something an office must act on: an institution, violence, a missing person, noise …
_ACT_ON = ("学校|老师|班主任|幼儿园|单位|公司|老板|医院|医生|护士|诊所|派出所|警察|社保|医保|"
           "公积金|户口|身份证|税|执照|补贴|报销|学费|投诉|举报|骗|赌|毒|家暴|打人|打我|打她|打他|"
           "动手|失踪|联系不上|找不到|走丢|卡|工地|施工|噪|吵得|欠|物业|邻居|房东")
# … and in a family worry any wages or money; about life only wages unpaid or docked: a wage
# that does not rise is life, one not paid a matter.
_MATTER = re.compile(_ACT_ON + "|工资|钱")
_LIFE_MATTER = re.compile(_ACT_ON + "|拖欠|不发|没发|扣|不给")
_LIFE = re.compile(
    r"日子没法过|日子咋过|没法活|活着没意思|活着真累|活得太累|心里(?:烦|堵|难受|苦|憋)|憋屈|郁闷|"
    r"闷得慌|想找(?:个)?人(?:说说话|聊聊|唠唠|说话)|没人(?:说话|陪)|孤单|寂寞|好没意思|真没意思|"
    r"啥都涨|什么都涨")


# A "complaint" about one's own family (我要投诉我老公，天天打游戏不管孩子, blind27) is a worry:
# the word 投诉 aimed at the family does not make it an office's matter.
_AT_FAMILY = re.compile(r"(?:投诉|举报)(?:一下)?(?:我|俺)家?(?:老公|老婆|媳妇|丈夫|婆婆|公公|老伴|"
                        r"老头子|儿子|女儿|闺女)")


# A canteen's food that is merely not to the caller's taste (我们单位食堂饭菜太难吃了, 公司食堂天天
# 土豆: blind27, blind25) is no food-safety matter; spoiled food, dirt, illness, a school's or a
# hospital's kitchen or a price is.
_TASTE = re.compile(r"(?:食堂|伙食|饭菜|盒饭).{0,8}?(?:难吃|不好吃|没油水|没味|太咸|太淡|不合胃口)|"
                    r"(?:天天|顿顿)(?:吃)?(?:土豆|白菜)")
_FOOD_FAULT = re.compile("变质|馊|过期|发霉|虫|苍蝇|蟑螂|老鼠|异物|头发|拉肚子|中毒|吐|卫生|脏|"
                         "无证|涨价|多收|收费|学校|学生|幼儿园|孩子|娃|医院|病人|老人")


# A quarrel with a stranger — one who jumped the queue, a shop assistant's rude look (超市结账
# 的时候有人插队，我说他他还瞪我; 饭馆服务员冲我翻白眼; blind13, blind25, blind37): nobody's to
# settle, unless a public servant was the one, or blows fell.
_QUARREL = re.compile(r"(?:有人|有个人|前面(?:有)?(?:个|一个)?[\u4e00-\u9fff]{0,3}|"
                      r"一个[\u4e00-\u9fff]{0,4})插队|跟(?:人|人家|别人|一个[\u4e00-\u9fff]{0,4})吵了(?:一)?架|"
                      r"(?:服务员|店员|收银员|售货员)(?:冲我|对我)?(?:翻白眼|甩脸|瞪我)")
_QUARREL_MATTER = re.compile("医生|护士|工作人员|保安|窗口|司机|老师|城管|警察|交警|民警|物业|"
                             "打人|打我|动手|受伤|伤|报警|威胁|刀")


def is_venting(text: str) -> bool:
    """Does the (normalised) utterance tell of a family member's ways, the caller's worry about
    them or about life, or a quarrel with a stranger, with nothing an office must act on beside
    it?"""
    if _WORRY.search(text) is not None and _MATTER.search(_AT_FAMILY.sub("", text)) is None:
        return True
    if _TASTE.search(text) is not None and _FOOD_FAULT.search(text) is None:
        return True
    if _QUARREL.search(text) is not None and _QUARREL_MATTER.search(text) is None:
        return True
    return _LIFE.search(text) is not None and _LIFE_MATTER.search(text) is None
