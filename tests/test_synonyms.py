"""Tests for dialog.synonyms: folding variants to their canonical word."""

from __future__ import annotations

from dialog.synonyms import Canonicalizer


def test_variants_fold_to_the_canonical_word() -> None:
    canon = Canonicalizer({"社保卡": ("社会保障卡",), "医保": ("医疗保险", "基本医疗保险")})
    assert canon("社会保障卡丢了") == "社保卡丢了"
    assert canon("基本医疗保险怎么报") == "医保怎么报"  # the longest variant first


def test_a_variant_inside_its_canonical_word_is_left_alone() -> None:
    canon = Canonicalizer({"营业执照": ("执照",)})
    assert canon("营业执照怎么办") == "营业执照怎么办"
    assert canon("执照怎么办") == "营业执照怎么办"


def test_normalises_first_and_works_without_synonyms() -> None:
    assert Canonicalizer({})("請問，營業執照怎麼辦？") == "营业执照怎么办"
    assert Canonicalizer({"社保卡": ("社会保障卡",)})("社會保障卡") == "社保卡"
