"""Questions about a shop or a vendor are no request (dialog.shop_questions)."""

from __future__ import annotations

import pytest

from dialog.matcher import Matcher
from dialog.shop_questions import asks_about_a_shop


@pytest.mark.parametrize(("text", "shop"), [
    # stock asked for
    ("药店还有那个感冒灵不我跑了两家都没货", True),
    ("超市有没有五斤装的面粉", True),
    ("附近哪个商场有卖羽绒服的你们知道不", True),
    ("想开个小店有没有创业补贴", False),  # a subsidy: ours
    ("那家超市有没有卖过期的", False),
    # normalised as the matcher sees them: no 喂, 请问, 吗 or punctuation
    ("税务局对面那家包子铺叫什么名字", True),
    ("医院门口那个卖水果的电话是多少", True),
    ("学校后门那家小卖部几点关门", True),
    ("建设银行周六开门不", True),
    ("电信营业厅几点营业", True),
    ("面包店晚上几点开始打折", True),
    ("车站旁边那个烤红薯摊今天出摊了没有", True),
    ("派出所对面那家理发店老板姓啥", True),
    ("小区门口那家超市有没有卖酱油的", True),
    ("菜场里那家卖豆腐的还在不在", True),
    ("单位食堂的饺子好不好吃", True),
    ("那家火锅店的微信是多少你知道不", True),
    ("税务局旁边那家奶茶店好不好喝", True),
    ("车站对面新开的那家烤鸭店你去过没", True),
    ("农行星期天开门不我要存点钱", True),
    ("动物园下午几点关门", True),
    # the government's own: the hall, an office, its staff
    ("社保大厅几点开门", False),
    ("政务服务中心周六上班不", False),
    ("派出所几点上班", False),
    ("税务局窗口叫什么名字", False),
    # a matter about the shop: a complaint, a report, a nuisance
    ("楼下那家面馆卖过期的东西", False),
    ("那家饭店油烟太大几点关门都不管", False),
    ("小区门口那家超市乱收费叫什么名字我要投诉", False),
    ("举报一下学校旁边那家网吧几点关门", False),
    ("那家店占道经营还在不在", False),
    # the caller's own shop, a question about a benefit
    ("我想自己开个小店有没有创业补贴", False),
    ("开个小饭馆要办什么证", False),
])
def test_a_question_about_a_shop(text: str, shop: bool) -> None:
    assert asks_about_a_shop(text) is shop


@pytest.mark.parametrize("text", ["派出所旁边那家面馆几点开门", "工商银行下午几点关门啊",
                                  "人民医院门口那个煎饼摊今天出摊了没"])
def test_a_shop_question_near_a_building_is_chatter(matcher: Matcher, text: str) -> None:
    # 几点开门 is the service hall's hours, 派出所 the police's, 医院 the hospital's
    result = matcher.match(text)
    assert (result.action, result.intent, result.department) == ("none", None, None)
    assert result.signals["shop_question"] == 1.0


def test_a_complaint_about_a_shop_still_reaches_its_department(matcher: Matcher) -> None:
    result = matcher.match("学校门口那家小卖部卖过期零食")
    assert result.department == "market"
    assert "shop_question" not in result.signals


def test_no_department_is_offered_for_a_shop_question(matcher: Matcher) -> None:
    # the department-choice question would ask which department the "problem" belongs to
    result = matcher.match("公积金中心对面那家咖啡店好喝不")
    assert result.aside and result.guesses == ()
    assert not matcher.match("楼下路灯一直不亮").aside
