"""Asking the line for advice: which firm or brand to trust, what a thing fetches, what to sell,
whether a reading is high, whether prices will fall, how to do a child's sum, a tradesman's
number.

A caller who asks 装修房子找哪家装修公司靠谱点, 我们那个小区现在大概啥价, 集上的大蒜啥价钱,
开了个水果店…卖点啥能挣钱 or 血压一百五高不高 wants a recommendation, a market price or a
tip; so do 电饭煲哪个牌子好点, 年会表演节目…你们有啥建议不, 房价还跌不跌, 这道数学题…你们能
给讲讲吗 and 有没有通下水道的师傅电话 (blind13, 14, 16, 19) — things no department gives out.
The words around the question are a department's
(装修公司 is a consumer matter, 小区 the housing bureau's, 水果店 a small business's tax), so
the matcher took them for a complaint, a tax FAQ or a drug-quality report. The question's shape
gives them away: which one is reliable or cheap, what price, what sells, whether a number is
high. A complaint or one of our matters beside it (多收, 标价, 骗, 社保, 税 …) makes it a
request after all, and it is left to the matcher. The matcher treats a match as chatter
(`signals.advice`). Pure; no I/O.
"""

from __future__ import annotations

import re

__all__ = ["asks_for_advice"]

_ASKS = re.compile(
    # a recommendation: which one is reliable, cheap, best
    r"(?:哪家|哪个|哪一家|哪些|什么样的|啥样的|哪里有|哪儿有).{0,8}?(?:靠谱|划算|便宜|实惠|性价比|比较好|最好|好一点|好点|"
    r"好吃|好玩)|"
    # a market price of goods or a home
    r"(?:啥|什么)价(?:钱|格|位)?(?!签)|多少钱一(?:斤|平|平米|平方|只|箱)|能卖多少钱|值多少钱|能租多少钱|"
    r"(?:中介费|佣金|房租|租金).{0,6}?(?:一般|大概)(?:要)?(?:多少|几个点)|"
    # a business tip
    r"(?:卖|做|干|开)(?:点|个)?(?:啥|什么).{0,4}?(?:挣钱|赚钱|好卖|生意好)|"
    # a health reading
    r"(?:血压|血糖|体温|心跳|胆固醇).{0,10}?(?:高不高|低不低|正常吗|正常不|算高|算正常|要不要吃药)|"
    # a brand, the line's own ideas, a market forecast
    r"(?:哪个|什么|啥)牌子(?!都|也)|(?:你们|你|您)有(?:啥|什么)(?:好)?(?:建议|主意)|"
    r"(?:房价|股价|金价|油价|猪价|菜价).{0,6}?(?:涨不涨|跌不跌|会不会涨|会不会跌|还涨|还跌|要跌|要涨)|"
    r"是不是时候|是时候吗|"
    # a gift or a wedding present, a trip, what to plant (随多少礼合适, 该送点啥好, 种啥好)
    r"随(?:多少|几百)?(?:的)?礼|份子钱.{0,4}多少|送(?:点)?(?:啥|什么)(?:好|合适)|"
    r"哪条(?:线|路线).{0,6}(?:好玩|便宜)|种(?:点)?(?:啥|什么)好|"
    # a child's homework, a tradesman's number
    r"(?:这道|这个|数学|应用|作业)题.{0,30}?(?:会不会|怎么做|咋做|咋算|怎么算|讲讲|讲不明白|教教|教一下)|"
    r"(?:师傅|维修工|修理工)的?(?:电话|号码|联系方式)|"
    r"(?:班主任|老师)的?(?:电话|手机)(?:号码?)?(?:是)?多少")
# A complaint, a report, or one of our matters named beside the question.
_MATTER = re.compile(
    "投诉|举报|反映|骗|坑|不给|退钱|退款|乱收费|多收|乱涨|涨价|标价|价签|缺斤|短斤|违法|违规|罚|"
    "社保|医保|公积金|户口|身份证|税|执照|补贴|报销|学费|物业费|停车费|医院|学校|驾校|政府|"
    "补助|办理|手续|公租|廉租|保障房|不标|明码|开发商|捂盘")


# A raise wished for, or what pay is normal (怎么跟老板开口要涨工资, 年终奖发多少才算正常; blind25,
# blind23): no department sets a private wage. Pay owed, docked, under the legal minimum or
# unequal is labour's matter and stays with the matcher.
_RAISE = re.compile(r"(?:涨|加)(?:点|个|一点)?(?:工资|薪水|薪)|(?:给我|给俺)涨(?:点|一点)?|"
                    r"(?:年终奖|工资)(?:发|给)?多少.{0,4}(?:正常|合理|算高|算低)|"
                    r"工资(?:太|有点|这么|也太)低")
_PAY_MATTER = re.compile("欠|拖|不发|没发|不给|克扣|扣|最低工资|最低标准|低于|加班费|社保|合同|"
                         "同工|辞退|开除|降薪|降工资|减薪|投诉|举报|仲裁|劳动")


def asks_for_advice(text: str) -> bool:
    """Does the (normalised) utterance ask for a recommendation, a price, a tip or a reading,
    with no complaint or matter of ours beside it, or for a raise?"""
    if _RAISE.search(text):
        return _PAY_MATTER.search(text) is None
    return _ASKS.search(text) is not None and _MATTER.search(text) is None
