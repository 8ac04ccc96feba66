"""Buildings named as places (dialog.landmarks), and an FAQ that won on its examples' shape
alone (dialog.second_looks.named_elsewhere). Utterances written for these tests."""

from __future__ import annotations

import pytest

from dialog.landmarks import INSTITUTIONS, find_landmarks
from dialog.matcher import Matcher
from dialog.phonetic import analyse


@pytest.mark.parametrize(("text", "found"), [
    ("派出所门口的下水道堵了", ["派出所"]),
    ("人民医院那个路口红绿灯坏了", ["人民医院"]),  # the longer name, not 医院 after 人民
    ("请求为新公安局路段安装路灯", ["公安局"]),
    ("城北中学春城校区段放学堵车", ["中学春城校区"]),  # a campus named between
    ("理工大学东校门马路上要装减速带", ["大学"]),
    ("学校旁边和医院对面都在施工", ["学校", "医院"]),
    ("学校里的老师体罚学生", []),  # inside is the school's own matter
    ("医院的医生态度太差", []),
    ("社保卡丢了怎么补办", []),
])
def test_buildings_named_as_places(text: str, found: list[str]) -> None:
    # a knowledge base adds its departments' offices (派出所, 公安局) to the buildings
    names = (*INSTITUTIONS, "派出所", "公安局")
    assert [text[lm.start:lm.end] for lm in find_landmarks(text, names)] == found


def test_an_utterance_keeps_its_pinyin_without_a_landmark() -> None:
    utt = analyse("派出所门口的下水道堵了")
    keep = [not 0 <= i < 3 for i in range(len(utt))]
    left = utt.keeping(keep)
    assert left.text == "门口的下水道堵了"
    assert left.loose == analyse("门口的下水道堵了").loose
    assert utt.keeping([True] * len(utt)) is utt


@pytest.mark.parametrize(("text", "department"), [
    # 派出所对面那个下水道堵了 was the hukou-transfer answer; a blocked sewer is now also a duty
    # shape of its own (sewer_overflow), so the street lamp shows the landmark alone
    ("派出所对面那个路灯坏了好几天了", "housing"),
    ("人民医院那个路口的红绿灯坏了", "public_security"),  # was the hospital-complaint line
    ("税务局旁边的工地半夜还在施工", "housing"),  # was tax
])
def test_a_building_near_the_problem_is_where_not_whose(
    matcher: Matcher, text: str, department: str
) -> None:
    result = matcher.match(text)
    assert result.action == "transfer"
    assert result.department == department
    assert result.signals["landmark"] == 1.0
    assert result.text == text


@pytest.mark.parametrize(("text", "intent"), [
    ("医院里排队太久了，医生态度也差", "hospital_complaint"),  # inside: the hospital's matter
    ("学校乱收费，一学期要交两千多资料费", "school_fee"),
])
def test_a_building_that_is_the_matter_keeps_its_department(
    matcher: Matcher, text: str, intent: str
) -> None:
    result = matcher.match(text)
    assert result.intent == intent
    assert "landmark" not in result.signals


def test_an_faq_without_its_keywords_gives_way_to_a_department_keyword(
    matcher: Matcher,
) -> None:
    # 天天有人 is the shape of the burning report's examples (天天有人烧垃圾); 乱停车 is the
    # police's: the caller reported parking, and said nothing of burning
    result = matcher.match("小区门口天天有人乱停车")
    assert (result.action, result.intent, result.department) == (
        "transfer", None, "public_security")
    assert "faq_overruled" in result.signals
    # the FAQ's own keyword heard: it stays
    assert matcher.match("小区门口天天有人烧垃圾").intent == "burning_report"



def test_a_sure_faq_without_its_keywords_still_gives_way(matcher: Matcher) -> None:
    # student aid reads 大学生…怎么领 surely (0.9+), but 创业补贴 is the labour bureau's
    result = matcher.match("大学生创业补贴怎么领")
    assert (result.intent, result.department) == (None, "hrss")
    assert result.signals["faq_overruled"] >= 0.8
    assert matcher.match("大学生助学贷款怎么申请").intent == "student_aid"


@pytest.mark.parametrize("text", ["我在医院门口等你呢", "我到公安局门口了你出来吧"])
def test_chatter_at_a_building_is_chatter(matcher: Matcher, text: str) -> None:
    # the building was the only word of any department (the hospital-complaint line, the police)
    result = matcher.match(text)
    assert (result.action, result.intent, result.department) == ("none", None, None)
    assert result.signals["landmark"] == 1.0
    assert result.signals["classifier_none"] >= 0.7


@pytest.mark.parametrize("text", ["我在学校门口接孩子呢", "我在小学门口接孩子"])
def test_nothing_named_outside_the_building_is_no_request(matcher: Matcher, text: str) -> None:
    # without 学校 only the shape of the sentence (孩子) resembled an FAQ, and with it the
    # building alone had made it the school-enrolment answer
    result = matcher.match(text)
    assert (result.action, result.intent, result.department) == ("none", None, None)
    assert result.signals["landmark"] == 1.0
