"""A caller asking for a person, however it is said (dialog.human_request)."""

from __future__ import annotations

import pytest

from dialog.human_request import asks_for_person


@pytest.mark.parametrize(("text", "asks"), [
    ("转人工", True),
    ("你给我转个真人", True),
    ("我年纪大，说不清楚，你给我找个人吧", True),
    ("叫个活人来", True),
    ("我要找接线员", True),
    ("给我转客服", True),
    ("要人工服务", True),
    ("找个人听我说，这事复杂", True),
    ("别问了，叫人", True),
    ("叫人来修路灯", False),
    ("我要人工服务", True),
    ("我要人工授精，医保能报吗", False),
    # a person for something else, or the words in another sense
    ("我想找个人帮我办社保", False),
    ("我找张经理", False),
    ("人工智能是什么", False),
    ("我要投诉客服态度差", False),
    ("客服电话多少", False),
])
def test_asks_for_person(text: str, asks: bool) -> None:
    assert asks_for_person(text) is asks
