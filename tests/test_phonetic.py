"""Tests for dialog.phonetic: the three pinyin levels of an utterance."""

from __future__ import annotations

from dialog.phonetic import analyse, loose_pinyin, loosen, onset


def test_three_levels_one_item_per_character() -> None:
    utt = analyse("医保12")
    assert utt.text == "医保12" and len(utt) == 4
    assert utt.tones == ("yi1", "bao3", "1", "2")
    assert utt.plain == ("yi", "bao", "1", "2")  # digits keep their value, not a tone
    assert utt.loose == utt.plain


def test_homophones_share_tones_and_accent_confusions_share_loose_pinyin() -> None:
    assert analyse("医保").tones == analyse("一宝").tones
    assert analyse("迁移").tones != analyse("千一").tones  # same syllables, other tones
    assert analyse("迁移").plain == analyse("千一").plain
    assert analyse("执照").loose == analyse("职造").loose  # zhi/zhao vs zhi/zao
    assert analyse("执照").plain != analyse("职造").plain


def test_loosen() -> None:
    assert [loosen(s) for s in ("zhi", "chi", "shi", "ying", "sheng", "zan")] == [
        "zi", "ci", "si", "yin", "sen", "zan"]
    assert loose_pinyin("营业") == ["yin", "ye"]


def test_analyse_is_cached_and_immutable() -> None:
    assert analyse("社保卡") is analyse("社保卡")


def test_onset_is_the_consonant_and_tone_a_vowel_slip_keeps() -> None:
    assert [onset(s) for s in ("she4", "shi4", "zhao4", "kao3", "kou3")] == [
        "s4", "s4", "z4", "k3", "k3"]
    # No consonant, no tone (neutral 的), or no sound at all: nothing to be near.
    assert [onset(s) for s in ("an4", "er2", "de", "1", "")] == ["", "", "", "", ""]
