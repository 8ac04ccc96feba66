"""dialog.offices: which department's office a caller named outright."""

from __future__ import annotations

import pytest

from dialog.matcher import Matcher
from dialog.normalize import normalize
from dialog.offices import OfficeIndex
from dialog.phonetic import analyse

OFFICES = [("education", ["教育局"]), ("public_security", ["派出所", "交警", "交警大队"]),
           ("hrss", ["社保局", "人社局"]), ("housing_fund", ["公积金中心"]),
           ("health", ["卫健局"])]


def named(text: str, offices: list[tuple[str, list[str]]] = OFFICES) -> str | None:
    return OfficeIndex(offices, lambda t: t).named(analyse(normalize(text)))


@pytest.mark.parametrize(("text", "department"), [
    ("教育局拖欠老师工资", "education"),
    ("我去派出所开证明", "public_security"),
    ("交警大队乱罚款", "public_security"),  # 交警大队 holds 交警: one office
    ("社保局让我去派出所开证明", None),  # two departments named: not settled here
    ("人社局和社保局都不管", "hrss"),  # two offices of one department
    ("我想问问怎么交社保", None),
    ("", None),
])
def test_the_one_department_named(text: str, department: str | None) -> None:
    assert named(text) == department


@pytest.mark.parametrize(("heard", "department"), [
    ("人设局的电话打不通", "hrss"),  # 人社局, the same syllables and tones
    ("请问攻击进中心几点上班", "housing_fund"),  # 公积金中心, one tone off: toneless, 5 syllables
    ("楼顶有人搭违建举报找谁", None),  # 违建举 is 卫健局 without tones: too short for that
])
def test_offices_the_recognizer_misheard(heard: str, department: str | None) -> None:
    assert named(heard) == department


def test_names_are_folded_as_the_caller_s_words_are() -> None:
    """The knowledge base's synonym folding applies to the office names too."""
    fold = {"警察局": "公安局"}
    index = OfficeIndex([("public_security", ["警察局"])], lambda t: fold.get(t, t))
    assert index.named(analyse("公安局不给立案")) == "public_security"
    assert OfficeIndex([("x", [""])], lambda t: t).named(analyse("任何话")) is None


# ---- the matcher: an office named takes the call (moved from tests/test_matcher.py) ----


@pytest.mark.parametrize(("text", "department"), [
    ("我们学校教育局拖欠老师工资三个月了", "education"),  # not hrss's wage-arrears answer
    ("公安局出入境大厅周六上不上班", "public_security"),  # not the service centre's hours
    ("请问公积金中心几点上班", "housing_fund"),
])
def test_an_office_named_outright_takes_the_call_from_another_department_s_faq(
    matcher: Matcher, text: str, department: str
) -> None:
    result = matcher.match(text)
    assert (result.intent, result.action, result.department) == (None, "transfer", department)
    assert result.signals["office_named"] > 0  # the FAQ's score it overruled
    assert {"route", "route_keyword", "route_margin"} <= set(result.signals)


@pytest.mark.parametrize(("text", "intent"), [
    ("派出所补办身份证要带什么", "id_card"),  # the office's own FAQ: answered
    ("社保卡丢了怎么补办", "sbk_reissue"),  # no office named
])
def test_an_office_s_own_faq_is_still_answered(matcher: Matcher, text: str, intent: str) -> None:
    result = matcher.match(text)
    assert result.intent == intent and "office_named" not in result.signals


def test_two_departments_offices_named_leave_the_decision_to_the_matcher(
    matcher: Matcher,
) -> None:
    result = matcher.match("社保局让我去派出所开证明")
    assert "office_named" not in result.signals
