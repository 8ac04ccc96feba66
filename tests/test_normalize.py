"""Tests for dialog.normalize: width, script, punctuation, fillers, pinyin, numerals."""

from __future__ import annotations

import pytest

from dialog.normalize import chinese_to_int, normalize, to_halfwidth, to_pinyin, to_simplified


def test_fullwidth_becomes_halfwidth() -> None:
    assert to_halfwidth("ＡＢＣ１２３３３") == "ABC12333"


def test_traditional_becomes_simplified() -> None:
    assert to_simplified("營業執照怎麼辦") == "营业执照怎么办"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好，我的社保卡丢了，想办个挂失。", "我的社保卡丢了想办个挂失"),
        ("請問營業執照怎麼辦？", "营业执照怎么办"),
        ("嗯，那个，我想问一下，养老保险每个月交多少钱呢？", "养老保险每个月交多少钱"),
        ("发票 开 错 了 能 不 能 重新 开。", "发票开错了能不能重新开"),
        ("不好意思，我没听清楚", "我没听清楚"),
        ("ＡＢＣ１２３，好的", "abc123好的"),
        ("呃……公积金啊，怎么取？", "公积金怎么取"),
        ("对对对", "对"),
        ("打过12333了", "打过12333了"),  # repeated digits are not a stammer
    ],
)
def test_normalize_examples(text: str, expected: str) -> None:
    assert normalize(text) == expected


# 那个呀 / 呀: a particle left alone is filler too (it once routed 嗯嗯啊啊那个呀 to a department).
@pytest.mark.parametrize("text", ["", "   ", "，。！？", "嗯", "你好", "嗯，啊。", "呀", "那个呀",
                                  "嗯嗯啊啊那个呀", "吗？"])
def test_normalize_leaves_nothing_of_pure_filler(text: str) -> None:
    assert normalize(text) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("就是", "就是"),  # alone it means "exactly": a yes, not a filler
        ("不是那个", "不是那个"),  # 那个 mid-clause carries meaning
        ("刚才说的什么", "刚才说的什么"),  # 么 is not a particle to strip
        ("金额是多少", "金额是多少"),  # 额 only drops at the start of a clause
        ("是的", "是的"),
        ("不是", "不是"),
        ("再说一遍吧", "再说一遍"),
        ("取缔黑网吧", "取缔黑网吧"),  # a word that ends in a particle's character stays whole
        ("楼下酒吧吵死了啊", "楼下酒吧吵死了"),
        ("是网吧吗", "是网吧"),
        ("我问你好不好", "我问你好不好"),  # 你好 is only dropped at the very start
    ],
)
def test_normalize_keeps_meaning(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_to_pinyin_toneless_and_with_tones() -> None:
    assert to_pinyin("医保") == ["yi", "bao"]
    assert to_pinyin("一宝") == ["yi", "bao"]
    assert to_pinyin("医保", tone=True) == ["yi1", "bao3"]
    assert to_pinyin("公积金") == to_pinyin("攻击金") == ["gong", "ji", "jin"]


def test_to_pinyin_gives_one_item_per_character() -> None:
    text = "拨打12333，社保卡"
    syllables = to_pinyin(text)
    assert len(syllables) == len(text)
    assert syllables[:2] == ["bo", "da"]
    assert syllables[2:7] == list("12333")
    assert syllables[-3:] == ["she", "bao", "ka"]


def test_to_pinyin_uses_context_for_heteronyms() -> None:
    assert to_pinyin("银行") == ["yin", "hang"]
    assert to_pinyin("行") == ["xing"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("二十", 20),
        ("十五", 15),
        ("一百零五", 105),
        ("三千二", 3200),
        ("两千零一十", 2010),
        ("三万二", 32000),
        ("十万", 100_000),
        ("一二三三三", 12333),
        ("12", 12),
        ("零", 0),
    ],
)
def test_chinese_to_int(text: str, value: int) -> None:
    assert chinese_to_int(text) == value


@pytest.mark.parametrize("text", ["", "二十块", "abc", "社保"])
def test_chinese_to_int_rejects_non_numerals(text: str) -> None:
    assert chinese_to_int(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我打了一二三三三", "我打了12333"),
        ("拨打幺二三四五", "拨打12345"),  # 幺 is how 一 is read in phone numbers
        ("等一下再说", "等一下再说"),  # 一下 is a word, not a number
        ("三五天能办好", "三五天能办好"),  # two digits: an estimate, left as words
    ],
)
def test_digit_by_digit_numbers_become_digits(text: str, expected: str) -> None:
    assert normalize(text) == expected
