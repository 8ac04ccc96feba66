"""Asking the line for advice is chatter, not a department's matter (dialog.advice)."""

from __future__ import annotations

import pytest

from dialog.advice import asks_for_advice


@pytest.mark.parametrize(("text", "advice"), [
    ("同事结婚我随多少礼合适", True),
    ("老板过生日送点啥好", True),
    ("高速上哪个服务区的饭好吃", True),
    ("院子里这个季节种啥好", True),
    # a raise wished for, what pay is normal
    ("想让老板给我涨点工资咋说", True),
    ("年终奖发多少才算正常", True),
    ("我工资太低了能不能让政府跟老板说说给我涨点", True),
    ("老板给我降工资还不给加班费", False),  # labour's
    ("工资低于最低工资标准", False),
    ("加油站给我加了四十升我油箱才装三十八升", False),
    # normalised as the matcher sees them
    ("装修房子找哪家装修公司靠谱点", True),
    ("我想把房子卖了我们那个小区现在大概啥价", True),
    ("今天猪肉多少钱一斤", True),
    ("开了个水果店生意不咋好你说卖点啥能挣钱", True),
    ("血压一百五高不高要不要吃药", True),
    ("电饭煲哪个牌子好点想给我妈买一个", True),
    ("想买辆二手的小货车你们晓得哪里有靠谱的车行不", True),
    ("公司年会安排我表演节目我啥也不会你们有啥建议不", True),
    ("你说现在买房是不是时候房价还跌不跌", True),
    ("现在房价是不是要跌了", True),
    ("孩子这道数学题我不会你们能给讲讲", True),
    ("我家马桶堵了有没有通下水道的师傅电话", True),
    ("孩子数学作业这道题不会鸡兔同笼那个你能教教不", True),
    ("我想把家里空的那间房租出去一个月能租多少钱", True),
    ("卖房子的中介费一般多少个点", True),
    ("孩子班主任的电话多少我给弄丢了", True),
    # a complaint or one of our matters beside the question: a request
    ("景区门口一瓶矿泉水卖十块钱啥价签都没有", False),
    ("菜市场的猪肉多少钱一斤标价和收的不一样", False),
    ("哪家银行交社保比较方便", False),
    ("哪个装修公司靠谱我被上一家骗了三万", False),
    ("小区物业费多少钱一平", False),
    ("公租房一个月租金大概多少", False),
    ("房价要涨了开发商捂盘不卖", False),
    ("景区门口那个停车场啥价都不标出来的时候张嘴就要一百", False),
    ("巷子里做豆腐的小作坊啥牌子都没有苍蝇满屋飞", False),
    ("买的冰箱什么牌子都一样坏了商家不给修", False),
])
def test_advice(text: str, advice: bool) -> None:
    assert asks_for_advice(text) is advice
