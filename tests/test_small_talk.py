"""Small talk about the hotline's staff is chatter, not a labour matter (dialog.small_talk)."""

from __future__ import annotations

import pytest

from dialog.small_talk import is_small_talk


@pytest.mark.parametrize(("text", "talk"), [
    ("你们晚上也上班啊辛苦了辛苦了", True),
    ("你们这接电话的工资高不还招人不", True),
    ("你们上班累不累吃饭了没", True),
    ("测试", True),
    ("喂喂测试测试", True),
    ("测试一下社保卡怎么补", False),
    ("你们几点上班", False),  # the opening-hours FAQ
    ("辛苦了我想问下社保卡怎么补", False),  # thanks beside a request
    ("你们单位拖欠我工资", False),
    ("谢谢你辛苦了再见", False),  # a goodbye
])
def test_small_talk(text: str, talk: bool) -> None:
    assert is_small_talk(text) is talk
