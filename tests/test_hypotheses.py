"""Several readings of one utterance (Vosk n-best): the first the bot understands wins, and a
lower reading never replaces an understood best one (dialog/hypotheses.py). Tables."""

from __future__ import annotations

import pytest

from dialog.hypotheses import READING_SIGNAL, understand_readings
from dialog.types import MatchResult

CARD = MatchResult("sbk_reissue", 0.9, "hrss", "answer", text="社保卡丢了")
ROUTED = MatchResult(None, 0.7, "housing", "transfer", text="路灯坏了")
TABLE = {"社保卡丢了": CARD, "路灯坏了": ROUTED,
         "no": MatchResult("no", 0.9, None, "answer", text="没有了"),
         "不要": MatchResult("no", 1.0, None, "none", text="不要"),  # no question asked
         # questions about a shop, a wrong number: no request, understood by their shape
         "银行几点关门": MatchResult(None, 0.6, None, "none", text="银行几点关门",
                               signals={"shop_question": 1.0}),
         "是王师傅家": MatchResult(None, 0.3, None, "none", text="是王师傅家",
                              signals={"someone_else": 1.0}),
         "大厅几点关门": MatchResult("office_hours", 0.9, "gov_service", "answer")}


def match(text: str) -> MatchResult:
    return TABLE.get(text, MatchResult(None, 0.1, None, "none", text=text))


CASES = [  # (question, readings, intent or department understood, text used, rank)
    (None, ("社保卡丢了",), "sbk_reissue", "社保卡丢了", None),
    (None, ("吃饱卡丢了", "社保卡丢了"), "sbk_reissue", "社保卡丢了", 1),
    (None, ("吃饱卡丢了", "嗯嗯", "路灯坏了", "社保卡丢了"), "housing", "路灯坏了", 2),
    (None, ("路灯坏了", "社保卡丢了"), "housing", "路灯坏了", None),  # the best one decides
    (None, ("吃饱卡丢了", "嗯嗯"), None, "吃饱卡丢了", None),  # nothing understood: the best
    # after 还有其他问题吗 the best reading is a reply (没有了): it is understood as such
    ("anything_else", ("没有了", "社保卡丢了"), None, "没有了", None),
    # a system intent heard with no question to answer is still what the caller said (the
    # blind dev line 不要 went to a tax FAQ through a runner-up reading)
    (None, ("不要", "社保卡丢了"), "no", "不要", None),
    # an aside heard in the best reading stays one: no runner-up turns it into a request
    (None, ("银行几点关门", "大厅几点关门"), None, "银行几点关门", None),
    (None, ("是王师傅家", "社保卡丢了"), None, "是王师傅家", None),
]


@pytest.mark.parametrize(("question", "readings", "understood", "used", "rank"), CASES)
def test_the_first_reading_understood_wins(question: str | None, readings: tuple[str, ...],
                                           understood: str | None, used: str,
                                           rank: int | None) -> None:
    found, _, text = understand_readings(match, question, readings)
    assert (found.intent or found.department) == understood
    assert text == used
    assert found.signals.get(READING_SIGNAL) == (None if rank is None else float(rank))


def test_a_reply_in_a_lower_reading_counts() -> None:
    """After a confirmation question, 对 in the second reading is the caller's yes."""
    _, reply, text = understand_readings(match, "confirm", ("堆堆堆呃", "对"))
    assert reply == "yes" and text == "对"


def test_a_reading_only_the_policy_reads_is_not_passed_over() -> None:
    """After the department-choice question, duty words the matcher cannot place (被老板开了,
    the labour bureau's) are still the caller's answer: `answers` (the policy's reading)
    counts as understood, in the best reading and in a lower one."""
    labour = {"被老板开了"}.__contains__
    found, _, text = understand_readings(match, "department_choice",
                                         ("被老板开了", "社保卡丢了"), answers=labour)
    assert text == "被老板开了" and found.intent is None
    _, _, text = understand_readings(match, "department_choice",
                                     ("被老板来了", "被老板开了", "社保卡丢了"), answers=labour)
    assert text == "被老板开了"
    _, _, text = understand_readings(match, "department_choice", ("被老板开了", "社保卡丢了"))
    assert text == "社保卡丢了"  # without it the matcher's reading wins


def test_after_the_survey_the_policy_s_reading_comes_first() -> None:
    """`answers_first`: a rating among the runners-up wins over a best reading the matcher
    takes for an FAQ (刷屏 heard for 差评); with no rating anywhere the usual order holds."""
    rating = {"差评", "一般"}.__contains__
    found, _, text = understand_readings(match, "survey", ("社保卡丢了", "刷评", "差评"),
                                         answers=rating, answers_first=True)
    assert text == "差评" and found.signals.get(READING_SIGNAL) == 2.0
    _, _, text = understand_readings(match, "survey", ("一般", "社保卡丢了"),
                                     answers=rating, answers_first=True)
    assert text == "一般"
    found, _, text = understand_readings(match, "survey", ("吃饱卡丢了", "社保卡丢了"),
                                         answers=rating, answers_first=True)
    assert text == "社保卡丢了" and found.intent == "sbk_reissue"
