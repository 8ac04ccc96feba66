"""A worry about one's own family or about life, told with no request, is no department's
matter (dialog.venting)."""

from __future__ import annotations

import pytest

from dialog.venting import is_venting


@pytest.mark.parametrize(("text", "worry"), [
    # normalised as the matcher sees them
    ("我孙子不听话说两句就顶嘴你说这咋教", True),
    ("我儿子上大学走了一个多月一个电话都不往家打现在的孩子咋这样", True),
    ("你们能不能帮我劝劝我老公他天天在外面打牌不回家", True),
    ("我闺女天天玩手机饭也不吃", True),
    ("我要投诉我老婆天天玩手机不做饭", True),
    ("单位食堂的饭菜太难吃了找谁反映", True),
    ("公司食堂顿顿土豆", True),
    # a quarrel with a stranger
    ("排队买票有个人插队我说他两句他还骂我", True),
    ("在菜市场跟人吵了一架越想越气", True),
    ("医院窗口工作人员跟我吵了一架", False),  # a public servant: a complaint
    ("有人插队我说了一句他就动手打我", False),  # blows: the police's
    # something an office must act on beside the worry: a request
    ("我儿子在学校被同学打了老师也不管", False),
    ("我老公天天喝了酒就打我", False),
    ("我妈出门买菜到现在联系不上", False),
    ("隔壁工地半夜打桩吵得孩子睡不着", False),
    ("孩子打游戏被人骗着买装备花了八千多", False),
    ("我儿子今年考大学", False),
    ("我要举报我老公赌博把家输光了", False),
    ("学校食堂饭菜太难吃了孩子都吃不饱", False),
    ("单位食堂的菜馊了吃了拉肚子", False),
    # life itself
    ("这日子没法过了啥都涨就工资不涨", True),
    ("老伴走了三年了孩子都在外地一个人在家好没意思", True),
    ("这日子没法过了老板三个月没发工资", False),
    ("楼道灯坏了半年找物业也没人理", False),
])
def test_venting(text: str, worry: bool) -> None:
    assert is_venting(text) is worry
