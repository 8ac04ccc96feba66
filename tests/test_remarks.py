"""A good word about someone or something asks nothing (dialog.remarks)."""

from __future__ import annotations

import pytest

from dialog.matcher import Matcher
from dialog.remarks import is_a_remark


@pytest.mark.parametrize(("text", "remark"), [
    # normalised as the matcher sees them: no 喂, 请问, 吗 or punctuation
    ("社区医院的李护士人挺好的", True),
    ("我们小区的保安人不错", True),
    ("那个公交司机长得挺帅", True),
    ("学校食堂的包子比外面的好吃", True),
    ("今天的公交车真干净", True),
    ("税务局新盖的楼挺漂亮的", True),
    # praise that asks for something: the hotline records it
    ("我要表扬社区医院的李护士人挺好的", False),
    ("谢谢派出所的民警人真好", False),
    # a "but", a complaint, a question, a request
    ("教练人挺好就是有点凶", False),
    ("物业的人态度不好", False),
    ("医院的饭太贵了", False),
    ("哪家医院的医生好", False),
    ("公租房申请快不快", False),
    ("再重复一遍好", False),
    ("你们能不能快点好", False),
    ("买基金好还是买理财好", False),
])
def test_a_good_word(text: str, remark: bool) -> None:
    assert is_a_remark(text) is remark


@pytest.mark.parametrize("text", ["医院那个王医生人挺好的", "物业的小张人不错啊"])
def test_a_remark_is_chatter(matcher: Matcher, text: str) -> None:
    # 医生 is the hospital-complaint line's, 物业 the property-dispute FAQ's
    result = matcher.match(text)
    assert (result.action, result.intent, result.department) == ("none", None, None)
    assert result.signals["remark"] == 1.0 and result.aside and result.guesses == ()
