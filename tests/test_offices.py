"""dialog.offices: which department's office a caller named outright."""

from __future__ import annotations

import pytest

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
