"""Rules in characters applied to how an utterance sounds (dialog.sound_form)."""

from __future__ import annotations

import re

import pytest

from dialog.duty_shapes import duty_shape
from dialog.matcher import Matcher
from dialog.sound_form import sound_form, sound_pattern


def heard(pattern: str, text: str) -> bool:
    return re.search(sound_pattern(pattern), sound_form(text)) is not None


@pytest.mark.parametrize(("pattern", "text", "found"), [
    ("大厅|窗口", "大听不是说有绿色通道吗", True),  # a word: by its syllables
    ("大厅", "大挺", False),  # tones count
    ("护照.{0,3}寄到", "户照还没记到", True),  # `.{0,3}` is still three characters
    ("护照.{0,1}寄到", "户照还没记到", False),
    ("(?:一家|个)?.{0,4}(?:公司|店)", "办了好几张电话卡", False),  # one character stays exact
    ("(?:一家|个)?.{0,4}(?:公司|店)", "开了好几家小店", True),
    ("(?:你们|打)(?:热线|12345)", "打12345", True),  # digits stand for themselves
    ("(?:你们|打)(?:热线|12345)", "打12346", False),
    ("办了?公司", "办公司", True),  # a quantifier takes the whole character
    ("办了?公司", "办了公司", True),
    ("12?3", "13", True),
])
def test_a_pattern_matches_the_homophones_of_its_words(pattern: str, text: str,
                                                      found: bool) -> None:
    assert heard(pattern, text) is found


def test_escapes_and_classes_are_refused() -> None:
    with pytest.raises(ValueError):
        sound_pattern(r"[大小]厅")
    with pytest.raises(ValueError):
        sound_pattern(r"\d+号")


def test_a_duty_shape_heard_with_homophones_says_so(matcher: Matcher) -> None:
    # 欠睡 is how the recognizer wrote 欠税; 大听 for 大厅
    assert duty_shape("我个体户早就不干了现在突然收到短信说我欠睡") == (
        "tax_after_deregistration", "tax", True)
    assert duty_shape("我个体户早就不干了现在突然收到短信说我欠税") == (
        "tax_after_deregistration", "tax", False)
    result = matcher.match("大听不是说有老年人绿色通道吗我去了照样叫我排队")
    assert (result.action, result.department) == ("transfer", "gov_service")
    assert result.signals["hall_trouble"] == 1.0 and result.signals["shape_by_sound"] == 1.0
