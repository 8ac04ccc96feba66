"""Wrong numbers: "are you X?" with X a person or a trade (dialog.addressee)."""

from __future__ import annotations

import pytest

from dialog.addressee import addressed_to_someone_else
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
