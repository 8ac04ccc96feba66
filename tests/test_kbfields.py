"""Tests for dialog.kbfields: the typed validators name where a value is wrong."""

from __future__ import annotations

import pytest

from dialog import kbfields as f
from dialog.kbfields import KnowledgeBaseError


def test_text_accepts_numbers_but_not_booleans() -> None:
    assert f.text(12345, "hotline") == "12345"
    with pytest.raises(KnowledgeBaseError, match="hotline must be text, got bool"):
        f.text(True, "hotline")


def test_identifier() -> None:
    assert f.identifier("tax_invoice", "id") == "tax_invoice"
    with pytest.raises(KnowledgeBaseError, match="quote the id"):
        f.identifier(False, "intents[3].id")
    with pytest.raises(KnowledgeBaseError, match="not a lower_snake_case id"):
        f.identifier("Tax-Invoice", "intents[3].id")


def test_lists_and_choices() -> None:
    assert f.str_list(["a", 1], "keywords") == ("a", "1")
    with pytest.raises(KnowledgeBaseError, match=r"keywords\[1\] is empty"):
        f.str_list(["a", " "], "keywords")
    with pytest.raises(KnowledgeBaseError, match="kind must be one of faq, system"):
        f.choice("menu", ("faq", "system"), "kind")


def test_placeholders() -> None:
    assert f.placeholders("您是想咨询{a}，还是{b}？", "prompt") == {"a", "b"}
    with pytest.raises(KnowledgeBaseError, match="bad placeholder"):
        f.placeholders("转接{", "prompt 'transfer'")


def test_mapping_and_unknown_keys() -> None:
    with pytest.raises(KnowledgeBaseError, match="must be a mapping, got list"):
        f.mapping([], "departments[0]")
    with pytest.raises(KnowledgeBaseError, match=r"unknown field\(s\) colour, size"):
        f.no_unknown_keys({"id": 1, "size": 2, "colour": 3}, frozenset({"id"}), "intent 'x'")
