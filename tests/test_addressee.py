"""Wrong numbers: "are you X?" with X a person or a trade (dialog.addressee)."""

from __future__ import annotations

import pytest

from dialog.addressee import addressed_to_someone_else, opens_for_someone_else
from dialog.matcher import Matcher


@pytest.mark.parametrize(("text", "someone_else"), [
    # normalised as the matcher sees them: no 喂, 请问, 吗 or punctuation
    ("是王师傅家", True),
    ("是小区门口卖水果的老板", True),
    ("是小区门口那个修鞋的", True),
    ("你是不是配钥匙的", True),
    ("这里是不是张记饭馆", True),
    # the hotline or an office by name: the caller reached what they dialled
    ("是12345", False),
    ("是社保局", False),
    ("是房管局的", False),
    # questions about a service or a duty, not about who answered
    ("是免费的", False),
    ("你们是不是收费的", False),
    ("是不是要本人去办的", False),
    ("这是不是物业该管的", False),
    ("是不是开发商的责任", False),
    ("你是机器人", False),
    ("我家楼下饭店油烟太大", False),
    # the number was wrong, said outright (打 also as the recognizer writes it)
    ("不好意思打错了", True),
    ("对不起我打错电话了", True),
    ("不好意思答错了", True),
    ("打错了打错了", True),
    ("护士打针打错了", False),  # a matter: the wrong injection
    ("名字打错了怎么改", False),
])
def test_who_the_caller_asks_for(text: str, someone_else: bool) -> None:
    assert addressed_to_someone_else(text) is someone_else


def test_a_wrong_number_heard_by_sound_is_not_a_complaint(matcher: Matcher) -> None:
    # 答错了 sounds like 打针打错了, an example of the hospital-complaint line
    result = matcher.match("不好意思,答错了")
    assert (result.action, result.intent, result.department) == ("none", None, None)
    assert result.signals["someone_else"] == 1.0


@pytest.mark.parametrize(("text", "someone_else"), [
    # as heard: with 吗 and punctuation
    ("喂，中心小学吗？我找三年级的李老师", True),
    ("是人民医院总机吗，帮我转一下骨科", True),
    ("搬家公司吗？明天上午搬家", True),
    ("开锁的吗，我钥匙丢了", True),
    ("我找二楼的王护士，我是她妈", True),
    ("是送水站吗？给我送两桶水，三号楼", True),
    # an office of ours, the property firm, or a matter reported whoever was rung
    ("是社保局吗？我想问下社保卡补办", False),
    ("喂，是派出所吗，我身份证丢了", False),
    ("是12345吗？我要反映个事", False),
    ("物业吗？我家水管漏了", False),
    ("是人民医院吗？我要投诉你们的医生", False),
    ("我找人社局的王主任", False),
    ("我找医生看病", False),
    ("是社区劳动保障站吗？我想问失业金", False),
])
def test_calls_that_open_by_asking_for_someone_else(text: str, someone_else: bool) -> None:
    assert opens_for_someone_else(text) is someone_else


def test_a_switchboard_call_is_not_the_hospital_complaint_line(matcher: Matcher) -> None:
    result = matcher.match("喂，人民医院吗？帮我转一下心内科")
    assert (result.action, result.intent, result.department) == ("none", None, None)
    assert result.signals["someone_else"] == 1.0
