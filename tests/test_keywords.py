"""Tests for dialog.keywords: how keywords are found (characters, sound) and scored."""

from __future__ import annotations

import pytest

from dialog.keywords import KEYWORD_WEIGHTS, SOUND_FACTORS, KeywordIndex, outermost
from dialog.phonetic import analyse

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
