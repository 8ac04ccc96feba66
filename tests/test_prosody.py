"""Prosodic words, tone sandhi and pause marks for the neural voice (ivr.voices.prosody):
literal expectations, as a Mandarin speaker (and the CSMSC labels) say them."""

from __future__ import annotations

import pytest

from ivr.voices.prosody import (
    ProsodicWord,
    Syllable,
    apply_sandhi,
    group_words,
)


def _word(spec: str) -> list[Syllable]:
    """'你ni3 好hao3' → syllables."""
    out = []
    for item in spec.split():
        char, rest = item[0], item[1:]
        out.append(Syllable(char, rest[:-1], int(rest[-1])))
    return out


def _tones(groups: list[ProsodicWord]) -> str:
    return " ".join("".join(f"{s.base}{s.tone}" for s in g.syllables) for g in groups)


def _chars(groups: list[ProsodicWord]) -> list[str]:
    return ["".join(s.char for s in g.syllables) for g in groups]


@pytest.mark.parametrize(("words", "expected"), [
    # a third tone before a third tone becomes a second tone; the last one stays
    (["展zhan3 览lan3 馆guan3"], "zhan2lan2guan3"),
    (["你ni3", "好hao3"], "ni2hao3"),  # one prosodic word: 你 leans on 好
    (["请qing3", "保bao3 留liu2"], "qing2bao3liu2"),
    # 不 before a fourth tone is bu2; before others bu4
    (["不bu4", "要yao4"], "bu2yao4"),
    (["不bu4", "能neng2"], "bu4neng2"),
    # 一 is yi4 before tones 1-3, yi2 before a fourth, and stays yi1 as a number
    (["一yi1 起qi3"], "yi4qi3"),
    (["一yi1 样yang4"], "yi2yang4"),
    (["第di4 一yi1"], "di4yi1"),
    (["一yi1 月yue4", "一yi1 日ri4"], "yi1yue4 yi1ri4"),
    (["十shi2 一yi1"], "shi2yi1"),
    (["一yi2 月yue4"], "yi1yue4"),  # as pypinyin's phrase list gives it
])
def test_tone_sandhi(words: list[str], expected: str) -> None:
    groups = group_words([_word(w) for w in words])
    apply_sandhi(groups)
    assert _tones(groups) == expected


def test_particles_lean_left_and_prepositions_right() -> None:
    words = ["您nin2", "反fan3 映ying4", "的de5", "问wen4 题ti2", "由you2", "市shi4 场chang3",
             "负fu4 责ze2"]
    groups = group_words([_word(w) for w in words])
    assert _chars(groups) == ["您", "反映的", "问题", "由市场", "负责"]


def test_a_prosodic_word_has_at_most_four_syllables() -> None:
    words = ["向xiang4", "劳lao2 动dong4 人ren2 事shi4", "争zheng1 议yi4"]
    groups = group_words([_word(w) for w in words])
    assert _chars(groups) == ["向", "劳动人事", "争议"]


def test_nothing_to_group() -> None:
    assert group_words([]) == []


@pytest.mark.parametrize(("words", "expected"), [
    (["拨bo1 打da3", "幺yao1", "二er4 三san1", "三san1", "三san1"], ["拨打", "幺二三", "三三"]),
    (["幺yao1 三san1 八ba1", "零ling2 零ling2 幺yao1 三san1 八ba1 零ling2 零ling2 零ling2"],
     ["幺三八", "零零幺三", "八零零零"]),  # a mobile number: 3 + 4 + 4
    (["二er4 三san1"], ["二三"]),  # two digits are not a number read digit by digit
])
def test_numbers_read_digit_by_digit_are_said_in_even_groups(words: list[str],
                                                              expected: list[str]) -> None:
    assert _chars(group_words([_word(w) for w in words])) == expected
