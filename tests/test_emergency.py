"""Emergencies: the number to dial, then a person at once (dialog.emergency). Tables for the
recogniser, the matcher and the policy; no audio, no clock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dialog.emergency import emergency_number
from dialog.matcher import Matcher
from dialog.policy import CallerSpoke, DialogPolicy, Event
from dialog.types import MatchResult
from tests.test_policy import BEGIN, CANCEL, KB, brief, faq, run


@pytest.mark.parametrize(("text", "number"), [
    # normalised as the matcher sees them
    ("着火了快来人", "119"),
    ("楼道里闻到煤气味", "119"),
    ("我爸突然晕倒了", "120"),
    ("有人掉河里了", "120"),
    ("有人拿着刀在小区里", "110"),
    ("我邻居要跳楼", "110"),
    ("我孩子不见了", "110"),
    ("安全出口锁着这要着火了人往哪跑", None),  # what might happen
    ("万一起火了怎么逃生", None),
    ("安全出口锁着真着火了往哪跑", None),
    ("有人抢我的包", "110"),
    ("我家老人走丢了", "110"),
    ("我家老爷子又走失了", "110"),
    ("我爸摔在地上起不来了", "120"),
    ("快帮我叫辆救护车", "120"),
    ("救护车怎么叫啊我奶奶不行了", "120"),
    # the matter, not the moment: a claim, a record, the past, what keeps happening, a complaint
    ("下班路上被车撞了算工伤吗", None),
    ("火灾保险怎么买", None),
    ("去年家里失火了房子能补贴吗", None),
    ("昨晚有人撬我家门偷了东西", None),
    ("孩子在学校晕倒了老师一直没通知家长", None),
    ("邻居家经常打架我怕出人命", None),
    ("井盖没了就在小学门口快来人", None),
    ("社保卡丢了", None),
    ("叫救护车的钱太贵了", None),
    ("家里天然气一个礼拜没气了饭都做不成", None),
    ("厂子烧塑料那个烟熏得人喘不上气", None),  # the air's, not a body's
    ("我妈突然喘不上气了", "120"),
    ("他喝多了就拿刀吓唬人已经好几回了", None),  # what keeps happening
    ("我爸没气了快来人", "120"),
    ("救护车收费乱收", None),
    ("我老婆生孩子大出血医院说他们没责任", None),
    # a stove or an engine that will not light
    ("家里燃气灶打不着火了", None),
    ("我车子打不着火了附近有修车的没", None),
    ("厨房里着火了", "119"),
])
def test_what_is_an_emergency(text: str, number: str | None) -> None:
    assert emergency_number(text) == number


def test_the_matcher_hands_an_emergency_to_a_person(matcher: Matcher) -> None:
    result = matcher.match("着火了，快来人啊")
    assert (result.action, result.department) == ("transfer", matcher.kb.default_department)
    assert result.signals["emergency"] == 119.0
    # before any second look: 派出所 nearby does not make it a hukou question
    assert matcher.match("派出所旁边有人持刀砍人").signals["emergency"] == 110.0


EMERGENCY = "如有人身危险，请立即拨打{number}。"
POLICY = DialogPolicy(replace(KB, prompts={**KB.prompts, "emergency": EMERGENCY}))


def danger(number: float = 110.0) -> CallerSpoke:
    return CallerSpoke(MatchResult(None, 1.0, "hotline", "transfer", text="有人持刀砍人",
                                   signals={"emergency": number}))


def test_the_policy_says_the_number_then_transfers() -> None:
    state, steps = run([*BEGIN, danger(119.0)], POLICY)
    says = [a for a in steps[-1] if brief(a)[0] == "say"]
    assert brief(steps[-1][0]) == CANCEL
    assert [s.key for s in says] == ["emergency", "transfer"]
    assert "119" in says[0].text
    assert (state.transfer_reason, state.transfer_department) == ("emergency", "hotline")


@pytest.mark.parametrize("before", [
    [], [faq("social_card")],  # whatever was asked before
])
def test_an_emergency_comes_first(before: list[Event]) -> None:
    state, _ = run([*BEGIN, *before, danger()], POLICY)
    assert state.transfer_reason == "emergency"


def test_without_the_prompt_the_transfer_alone() -> None:
    state, steps = run([*BEGIN, danger()])
    assert state.transfer_reason == "emergency"
    assert "emergency" not in [brief(a)[1] for a in steps[-1] if brief(a)[0] == "say"]
