"""Tests for dialog.keywords: how keywords are found (characters, sound) and scored."""

from __future__ import annotations

import pytest

from dialog.keywords import KEYWORD_WEIGHTS, SOUND_FACTORS, KeywordIndex, outermost
from dialog.phonetic import analyse
from dialog.word_edges import straddles, word_edges

INDEX = KeywordIndex([(0, "医保"), (1, "公积金"), (2, "户口迁移"), (3, "建议"), (1, "提取"),
                      (4, "失业"), (4, "失业保险金"), (5, "执照")], owners=6)


def kinds(text: str) -> dict[str, str]:
    return {h.keyword.text: h.kind for h in INDEX.hits(analyse(text))}


def test_characters_win_over_sound() -> None:
    assert kinds("医保怎么报") == {"医保": "chars"}


@pytest.mark.parametrize(
    ("text", "keyword", "kind"),
    [
        ("一宝怎么报", "医保", "tone"),  # same syllables, same tones
        ("攻击金", "公积金", "tone"),
        ("工基进", "公积金", "pinyin"),  # 进 jin4 for 金 jin1: a tone slip
        ("护考迁移怎么办", "户口迁移", "near"),  # one syllable off in four
    ],
)
def test_homophones_are_found_by_sound(text: str, keyword: str, kind: str) -> None:
    assert kinds(text)[keyword] == kind


def test_a_negated_keyword_inside_an_a_not_a_question_is_not_heard() -> None:
    # 能不能来消个杀 asks whether they can come; 不能来 (the proxy FAQ's "cannot come in
    # person") was never said
    index = KeywordIndex([(0, "不能来")], owners=1)
    assert index.hits(analyse("能不能来消个杀")) == []
    assert [h.keyword.text for h in index.hits(analyse("我本人不能来"))] == ["不能来"]


def test_a_shop_that_no_longer_opens_is_not_a_website_that_cannot_be_opened() -> None:
    # 打不开 / 走不开 are potential complements: nothing closed down
    index = KeywordIndex([(0, "不开了")], owners=1)
    assert index.hits(analyse("那个网站现在打不开了")) == []
    assert index.hits(analyse("我上班走不开了")) == []
    assert [h.keyword.text for h in index.hits(analyse("店不开了"))] == ["不开了"]


def test_a_keyword_heading_a_word_for_another_thing_is_not_heard() -> None:
    index = KeywordIndex([(0, "面包")], owners=1)
    assert index.hits(analyse("村口停了辆白面包车")) == []
    assert [h.keyword.text for h in index.hits(analyse("买的面包发霉了"))] == ["面包"]


def test_two_syllables_need_their_tones() -> None:
    # 推荐一 (jian4 yi1) sounds like 建议 (jian4 yi4) only without tones: no hit.
    assert "建议" not in kinds("推荐一部电影")


def test_loosened_pinyin_for_three_syllables_or_more() -> None:
    index = KeywordIndex([(0, "营业执照")], owners=1)
    hits = index.hits(analyse("银夜职照"))
    assert [(h.keyword.text, h.kind) for h in hits] == [("营业执照", "loose")]
    two = KeywordIndex([(0, "执照")], owners=1)
    assert two.hits(analyse("职造")) == []  # two syllables are never loosened


def test_strength_follows_length_and_kind() -> None:
    (hit,) = [h for h in INDEX.hits(analyse("攻击金")) if h.keyword.text == "公积金"]
    assert hit.strength == pytest.approx(KEYWORD_WEIGHTS[3] * SOUND_FACTORS["tone"])
    assert hit.start == 0 and hit.end == 3


def test_nested_hits_of_one_owner_count_once() -> None:
    hits = INDEX.hits(analyse("失业保险金怎么领"))
    assert {h.keyword.text for h in hits} == {"失业", "失业保险金"}
    assert [h.keyword.text for h in outermost(hits)] == ["失业保险金"]
    assert INDEX.scores(hits)[4] == pytest.approx(KEYWORD_WEIGHTS[5])


def test_further_hits_are_damped() -> None:
    scores = INDEX.scores(INDEX.hits(analyse("公积金提取")))
    first, second = KEYWORD_WEIGHTS[3], KEYWORD_WEIGHTS[2]
    assert scores[1] == pytest.approx(1 - (1 - first) * (1 - 0.5 * second))
    assert scores[0] == 0.0


def test_cost_does_not_depend_on_unrelated_keywords() -> None:
    big = KeywordIndex([(i % 7, f"词{i}") for i in range(5000)] + [(0, "医保")], owners=7)
    assert [h.keyword.text for h in big.hits(analyse("医保"))] == ["医保"]


# ---- three syllables with one close syllable off -------------------------------------------


CLOSE = KeywordIndex([(0, "社保卡"), (1, "没问题")], owners=2, close_owners=frozenset({0}))


def test_three_syllables_heard_with_a_vowel_slip_are_a_near_miss() -> None:
    # 是 shi4 for 社 she4: same consonant and tone, the vowel slipped; 保卡 tone-exact.
    (hit,) = CLOSE.hits(analyse("我的是保卡丢了"))
    assert (hit.keyword.text, hit.kind, hit.start) == ("社保卡", "near", 2)
    assert hit.strength == pytest.approx(KEYWORD_WEIGHTS[3] * SOUND_FACTORS["near"])


@pytest.mark.parametrize(
    "text",
    [
        "吃饱卡",  # chi1 for she4: another consonant and tone
        "诗保卡",  # shi1: the tone of the slipped syllable is wrong too
        "是保咖",  # two syllables off (ka1 for ka3)
    ],
)
def test_other_three_syllable_slips_are_not_near_misses(text: str) -> None:
    assert CLOSE.hits(analyse(text)) == []


def test_close_near_misses_only_for_the_owners_that_allow_them() -> None:
    # 民问题 (min2) is one vowel from 没问题 (mei2): a yes for 扰民问题 without the restriction.
    assert CLOSE.hits(analyse("扰民问题")) == []
    everyone = KeywordIndex([(0, "社保卡"), (1, "没问题")], owners=2)
    assert [h.keyword.text for h in everyone.hits(analyse("扰民问题"))] == ["没问题"]


def test_close_near_misses_are_part_of_the_near_search() -> None:
    assert CLOSE.hits(analyse("是保卡"), near=False) == []  # the router's keywords: exact only
    assert [h.kind for h in CLOSE.hits(analyse("设保卡"))] == ["tone"]  # she4: a homophone


def test_near_hits_skip_keywords_already_found() -> None:
    utt = analyse("护考迁移怎么办")
    (hit,) = INDEX.near_hits(utt)
    assert (hit.keyword.text, hit.start) == ("户口迁移", -1)
    assert INDEX.near_hits(utt, {hit.keyword: hit}) == []


GAPPED = KeywordIndex([(0, "拖欠工资"), (1, "水泥路"), (2, "路灯不亮"), (3, "医保")], owners=4)


@pytest.mark.parametrize(("text", "keyword"), [
    ("老板拖欠三个月工资", "拖欠工资"),  # four characters: up to three inside
    ("村里想修一条水泥主路", "水泥路"),  # three characters: up to two inside
    ("那几盏路灯一直不亮", "路灯不亮"),
])
def test_a_keyword_said_with_words_inside_it(text: str, keyword: str) -> None:
    hits = {h.keyword.text: h for h in GAPPED.hits(analyse(text))}
    assert hits[keyword].kind == "gapped"
    assert hits[keyword].start == -1  # no exact place, as a near miss
    assert hits[keyword].strength == pytest.approx(
        hits[keyword].keyword.weight * SOUND_FACTORS["gapped"])


@pytest.mark.parametrize("text", [
    "拖欠了好几个月的工资",  # five inside: too far apart to be one word
    "水泥厂门口的路",  # three inside a three-character keyword
    "路灯不是不亮",  # 不 inside: a negation changes the word
    "医生说保险",  # two characters are never split
])
def test_words_too_far_apart_are_no_keyword(text: str) -> None:
    assert not [h for h in GAPPED.hits(analyse(text)) if h.kind == "gapped"]


def test_a_keyword_heard_whole_is_not_also_gapped() -> None:
    hits = GAPPED.hits(analyse("拖欠工资拖欠三个月工资"))
    assert [h.kind for h in hits if h.keyword.text == "拖欠工资"] == ["chars"]


@pytest.mark.parametrize(("text", "found"), [
    ("今年报销比去年少", False),  # 今年 | 报销: no 年报 was said
    ("营业执照年报怎么报", True),
    ("社保卡丢了", True),  # 社保 begins where 社保卡 does
    ("小区门口卖假烟", True),  # 卖假 | 烟: 假烟 ends where a word does
])
def test_a_two_character_keyword_does_not_straddle_two_words(text: str, found: bool) -> None:
    index = KeywordIndex([(0, "年报"), (1, "社保"), (2, "假烟")], 3)
    assert bool(index.hits(analyse(text))) is found


def test_word_edges_are_the_segmenter_s() -> None:
    assert word_edges("今年报销") == frozenset({0, 2, 4})
    assert straddles("今年报销", 1, 3) and not straddles("今年报销", 0, 2)
