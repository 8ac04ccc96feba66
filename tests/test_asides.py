"""Every aside, through the whole matcher: the utterance is chatter whatever its words, with
the aside's signal set (dialog.asides; each predicate's own table is in its module's test)."""

from __future__ import annotations

import pytest

from dialog.matcher import Matcher


@pytest.mark.parametrize(("text", "signal"), [
    ("装修房子找哪家装修公司靠谱点？", "advice"),  # 装修公司: a consumer complaint's words
    ("科目二倒车入库老压线，有啥技巧没？", "know_how"),  # 科目二: the police's
    ("您好，我们这边做企业贷款的，利息低放款快，请问贵单位有需要吗？", "sales_call"),  # 贷款
    ("你们这接电话的工资高不，还招人不", "small_talk"),  # 工资: wage arrears
    ("孩子高考没考好，天天关在屋里不出来，饭也不吃，我愁死了。", "venting"),  # 高考
    ("帮我叫辆出租车去火车站", "errand"),  # 出租车: the taxi-complaint line's
    ("水费单子丢了，这个月要交多少钱", "other_service"),  # 交: a tax word
    ("外卖软件上杂改收货地址", "other_service"),  # 咋 as the recognizer writes it
])
def test_an_aside_is_chatter(matcher: Matcher, text: str, signal: str) -> None:
    result = matcher.match(text)
    assert (result.action, result.intent, result.department) == ("none", None, None)
    assert result.signals[signal] == 1.0 and result.aside
