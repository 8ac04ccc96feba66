"""Asking the line for everyday know-how is chatter, not a department's matter
(dialog.know_how)."""

from __future__ import annotations

import pytest

from dialog.know_how import asks_for_know_how


@pytest.mark.parametrize(("text", "know_how"), [
    ("我在步行街口汽车站咋走", True),
    ("附近有没有修电动车的车胎扎了推不动了", True),
    ("附近有没有卖假药的举报一下", False),  # a report
    ("开车去机场走哪条路最快", True),
    ("去火车站坐几路车咋走", False),  # a bus route: the FAQ's
    ("想换物业这个程序咋走", False),
    ("孩子早恋被我发现了我该咋跟他说", True),
    # normalised as the matcher sees them
    ("科目二倒车入库老压线有啥技巧没", True),
    ("开车去西安走高速近还是走国道近", True),
    ("县医院骨科哪个医生看腰椎看得好", True),
    ("娃发烧三十八度五要不要送医院还是先吃退烧药", True),
    ("孩子在学校跟同学打架了老师让我明天去我该咋说", True),
    ("我车子打不着火了附近有修车的没", True),
    ("医院停车场满了附近还有哪能停车", True),
    ("附近有什么好吃的餐厅", True),
    ("我想辞职去开个奶茶店你觉得能挣钱不", True),
    ("面试的时候问我期望工资我说多少合适", True),
    ("高考考了五百二报哪个学校好", True),
    ("学校明天几点放学啊我忘了问老师", True),
    ("我最近老头晕是不是血压高了去医院该挂哪个科", True),
    ("医生给我开的这个药是饭前吃还是饭后吃啊我忘问了", True),
    ("我朋友住院了去医院看他带点啥好", True),
    ("老师布置的数学题我不会三十二乘以十五等于多少", True),
    ("现在房价是不是要跌了我该不该买房啊", True),
    ("你说明年房价还会跌不现在该不该买", True),
    ("孩子发烧三十九度要不要赶紧去医院", True),
    ("我想跟领导提加薪咋开口比较好", True),
    ("闺女考研选哪所大学好", True),
    ("中医院那个李主任哪天坐诊啊", True),
    ("体检报告上血糖偏高七点几严重不严重", True),
    ("买国产的好还是买进口的好你给说说", True),
    ("从火车站到人民广场咋走最近", True),
    ("去哈尔滨出差要带啥衣服", True),
    ("想给老师送面锦旗去哪做", True),
    ("手机屏幕碎了换个新的大概多少钱", True),
    ("公园的桃花开了没", True),
    ("孙子的作业有道题我不会做你给讲讲", True),
    ("吃中药管用还是做理疗管用", True),
    ("胆固醇高平时吃啥好", True),
    ("学哪个专业以后好找工作", True),
    # a place nearby reported, a public service asked for, a complaint or a jab beside it
    ("附近有个工厂天天排黑烟", False),
    ("听说普惠性幼儿园便宜我们附近有没有", False),
    ("附近有没有公交站", False),
    ("孩子打了疫苗发烧了要不要去医院", False),
    ("驾校教练收了钱也不教技巧有啥办法投诉", False),
    ("我该咋办啊工资三个月没发了", False),
    ("我想考税务师你说难不难考啊", False),  # the tax office's word: left to the matcher
    ("化验单上转氨酶偏高是医院查错了我要投诉", False),
    ("该不该买社保啊", False),
    ("从火车站到市民中心咋走最近", False),  # the hall's address: an FAQ
    ("交城乡医保好还是交职工医保好", False),
])
def test_know_how(text: str, know_how: bool) -> None:
    assert asks_for_know_how(text) is know_how
