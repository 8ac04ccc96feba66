"""Question words the recognizer blurs are written back for the asides (dialog.heard_questions)."""

from __future__ import annotations

import pytest

from dialog.asides import aside_of
from dialog.heard_questions import restore_question_words


@pytest.mark.parametrize(("heard", "restored"), [
    # transcripts of blind23 through the phone band, normalised
    ("老师让我明天去我该砸说", "老师让我明天去我该咋说"),
    ("科目二岛车入库牢牙线有神技巧美", "科目二岛车入库牢牙线有啥技巧没"),
    ("外卖软件上杂改收扩地址", "外卖软件上咋改收扩地址"),
    ("装修房子找那家公司靠谱啊", "装修房子找哪家公司靠谱啊"),
    ("你能交交步", "你能交交步"),  # a closing 步/部 is left (干部, 内部)
    # where the neighbour gives another reading, the words stay
    ("楼道里堆满了杂物", "楼道里堆满了杂物"),
    ("有人砸我家车窗", "有人砸我家车窗"),
    ("那个医生态度太差了", "那个医生态度太差了"),
    ("高血压能不能办那个门诊特殊病拿药便宜点", "高血压能不能办那个门诊特殊病拿药便宜点"),
    ("我们两口子没房子能申请那个公租房", "我们两口子没房子能申请那个公租房"),
])
def test_restore_question_words(heard: str, restored: str) -> None:
    assert restore_question_words(heard) == restored


def test_an_aside_is_found_in_the_restored_words() -> None:
    heard = "科目二岛车入库牢牙线有神技巧美"
    assert aside_of(heard, heard) == "know_how"
    assert aside_of("楼道里堆满了杂物", "楼道里堆满了杂物") is None
