"""Tests for dialog.semantic: n-gram terms, BM25 coverage and pair similarity."""

from __future__ import annotations

import pytest

from dialog.phonetic import analyse
from dialog.semantic import Bm25Index, IdfTable, pair_similarity, terms


def t(text: str) -> list[str]:
    return terms(analyse(text))


def test_terms_are_characters_bigrams_and_sound_bigrams() -> None:
    grams = t("医保卡")
    assert {"医", "保", "卡", "医保", "保卡", "~yi bao", "~bao ka"} == set(grams)
    assert t("一宝")[-1] == "~yi bao"  # a homophone shares the sound term


DOCS = [t("社保卡丢了怎么补办社保卡挂失"), t("公积金怎么提取租房提取公积金"), t("发票怎么开")]


def test_coverage_ranks_the_right_document_first() -> None:
    index = Bm25Index(DOCS)
    scores = index.coverage(t("公积金提取"))
    assert int(scores.argmax()) == 1
    assert scores[1] > 0.8 and scores[0] < 0.2


def test_unknown_words_lower_the_coverage() -> None:
    index = Bm25Index(DOCS)
    known = index.coverage(t("发票"))[2]
    diluted = index.coverage(t("发票和足球比赛"))[2]
    assert known > 0.9 and diluted < 0.5
    assert index.coverage(t("足球比赛")).max() == 0.0


def test_coverage_is_bounded_and_handles_empty_input() -> None:
    index = Bm25Index(DOCS)
    assert index.coverage([]).tolist() == [0.0, 0.0, 0.0]
    assert all(0.0 <= v <= 1.0 for v in index.coverage(t("社保卡社保卡社保卡")))
    assert Bm25Index([]).coverage(t("发票")).size == 0


def test_pair_similarity() -> None:
    corpus = [t(s) for s in ("怎么还款", "还款银行怎么换", "借款额度", "怎么提高额度")]
    idf = IdfTable(corpus)
    same = pair_similarity(t("还款银行怎么更换"), t("怎么更换还款的卡"), idf)
    other = pair_similarity(t("还款银行怎么更换"), t("借款额度怎么提高"), idf)
    assert same > other
    assert pair_similarity(t("借款"), t("借款"), idf) == pytest.approx(1.0)
    assert pair_similarity([], t("借款"), idf) == 0.0
    assert pair_similarity(t("还款"), t("借款额度"), idf) == pytest.approx(
        pair_similarity(t("借款额度"), t("还款"), idf))
