"""Tests for dialog.tools.department_training: reading routed messages, fitting the department
model and cross-validating its blend weights for letters and for calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialog.department_model import DepartmentModelError
from dialog.intents import KnowledgeBase
from dialog.matcher import Matcher
from dialog.router_long import LongTextRouter
from dialog.tools.department_training import (
    BLEND_GRID,
    RoutedExample,
    caller_text,
    choose_blend,
    choose_phone_blend,
    folds,
    read_examples,
    train_model,
)


def test_expected_column_with_dept_prefix_is_read(tmp_path: Path, kb: KnowledgeBase) -> None:
    path = tmp_path / "eval.tsv"
    path.write_text("text\texpected\n路灯坏了\\n一直没人修\tdept:housing\n", encoding="utf-8")
    examples, skipped = read_examples(path, kb)
    assert examples[0].department == "housing" and examples[0].text == "路灯坏了\n一直没人修"
    assert not skipped


def test_training_needs_two_departments() -> None:
    with pytest.raises(DepartmentModelError, match="at least two departments"):
        train_model([RoutedExample("路灯坏了", "housing"), RoutedExample("路灯不亮", "housing")])


def test_training_needs_shared_ngrams() -> None:
    with pytest.raises(DepartmentModelError, match="no character n-grams"):
        train_model([RoutedExample("甲乙", "housing"), RoutedExample("丙丁", "market")])


def test_folds_are_disjoint_and_stable(routed_examples: list[RoutedExample]) -> None:
    first = list(folds(routed_examples, 4))
    assert [len(h) for _, h in first] == [len(h) for _, h in folds(routed_examples, 4)]
    held = [e for _, h in first for e in h]
    assert sorted(held, key=repr) == sorted(routed_examples, key=repr)
    for train, h in first:
        assert not set(map(repr, train)) & set(map(repr, h))


def test_choose_blend_scores_every_weight(
    routed_examples: list[RoutedExample], kb: KnowledgeBase
) -> None:
    choice = choose_blend(LongTextRouter(kb), routed_examples, k=4)
    assert set(choice.accuracy) == set(BLEND_GRID) and choice.examples == len(routed_examples)
    assert choice.accuracy[choice.blend] == max(choice.accuracy.values())
    # This city splits two duties differently: its own messages must beat the general rule.
    assert choice.accuracy[choice.blend] > choice.accuracy[1.0]


def test_caller_text_is_the_title_or_the_start_of_the_text() -> None:
    assert caller_text(RoutedExample("长长的正文" * 40, "housing", " 油烟扰民 ")) == "油烟扰民"
    assert caller_text(RoutedExample("正" * 200, "housing")) == "正" * 80


def test_phone_blend_is_cross_validated_on_what_callers_say(
    routed_examples: list[RoutedExample], matcher: Matcher
) -> None:
    choice = choose_phone_blend(matcher, routed_examples, k=3)
    assert choice.blend in BLEND_GRID and set(choice.accuracy) == set(BLEND_GRID)
    assert 0 < choice.examples <= len(routed_examples)
    # this city routes against the knowledge base's grain: its messages must carry weight
    assert max(choice.accuracy.values()) > choice.accuracy[1.0]
    assert choice.blend < 1.0
    with pytest.raises(DepartmentModelError, match="too few"):
        choose_phone_blend(matcher, routed_examples[:1] + routed_examples[-1:], k=3)
