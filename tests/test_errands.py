"""Errands asked of the bot are no request (dialog.errands)."""

from __future__ import annotations

import pytest

from dialog.errands import is_an_errand


@pytest.mark.parametrize(("text", "errand"), [
    # normalised as the matcher sees them: no 喂, 请问, 吗 or punctuation
    ("帮我叫辆出租车到火车站", True),
    ("家里卫生间水管爆了水漫了一地你们能派个师傅来修一下不", True),
    ("家里水管漏了物业不派师傅来修", False),  # the property firm: a complaint
    ("你们能不能帮我介绍个对象我四十二了", True),
    ("孩子上户口前我想先起个好名字你们帮我起一个呗姓王", True),
    ("叫个车去医院", True),
    ("麻烦帮我订个酒店明天住", True),
    ("帮我点份外卖送到税务局门口", True),
    ("给我订两张去上海的高铁票", True),
    ("帮我叫辆出租车到人民医院门口我腿脚不方便", True),  # why, not a complaint
    # the hotline's own appointments and numbers
    ("帮我约个号", False),
    ("帮我预约一下社保卡补办", False),
    # something ordered before, a complaint, a tax or receipt question
    ("点的外卖里吃出了头发", False),
    ("叫了出租车司机绕路", False),
    ("打车软件乱收费", False),
    ("买车要交什么税", False),
    ("订的机票退不了", False),
    ("帮我叫一下人工", False),
    ("帮我叫的出租车司机不打表", False),
])
def test_an_errand(text: str, errand: bool) -> None:
    assert is_an_errand(text) is errand
