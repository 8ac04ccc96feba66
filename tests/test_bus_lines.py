"""A bus line named by its number is a bus (dialog.bus_lines)."""

from __future__ import annotations

import pytest

from dialog.bus_lines import name_bus_lines
from dialog.matcher import Matcher


@pytest.mark.parametrize(("text", "named"), [
    ("23路老是不进站", "23路公交老是不进站"),
    ("十八路车开得太猛", "十八路公交车开得太猛"),
    ("二十三路早上那班没来", "二十三路公交早上那班没来"),
    ("坐108路去火车站", "坐108路公交去火车站"),
    # already a bus, a street, all the way, an address, a junction
    ("12路公交司机", "12路公交司机"),
    ("五一路上的路灯不亮", "五一路上的路灯不亮"),
    ("大巴一路拉人", "大巴一路拉人"),
    ("解放路88号", "解放路88号"),
    ("三路口那个红绿灯", "三路口那个红绿灯"),
])
def test_bus_lines_are_named(text: str, named: str) -> None:
    assert name_bus_lines(text) == named
    assert name_bus_lines(named) == named  # idempotent: examples and callers fold alike


def test_a_late_line_is_the_transport_bureaus(matcher: Matcher) -> None:
    result = matcher.match("早上那趟36路在人民路站老是不进站，直接开走了，我天天迟到")
    assert result.department == "transport"
