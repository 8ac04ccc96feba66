"""Tests for dialog.routing: the department responsible for a problem no FAQ answers."""

from __future__ import annotations

import pytest

from dialog.intents import parse_knowledge_base
from dialog.phonetic import analyse
from dialog.routing import DepartmentRouter
from dialog.semantic import terms
from dialog.synonyms import Canonicalizer

RAW: dict = {
    "default_department": "front",
    "departments": [
        {"id": "front", "name": "前台", "queue": "q0"},
        {"id": "env", "name": "环保局", "queue": "q1", "description": "污染和排污",
         "keywords": ["污染", "排污", "油烟"]},
        {"id": "traffic", "name": "交通局", "queue": "q2", "description": "公交和公路",
         "keywords": ["公交", "公路"]},
    ],
    "prompts": {k: k for k in ("greeting", "anything_else", "ask_question", "no_match",
                               "no_input", "clarification", "transfer", "route", "queue",
                               "callback", "survey", "goodbye", "error")},
    "intents": [{"id": "bus", "department": "traffic", "answer": "查公交APP。",
                 "examples": ["末班车几点"], "keywords": ["末班车"]}],
}
KB = parse_knowledge_base(RAW)


def route(text: str):  # type: ignore[no-untyped-def]
    utt = analyse(text)
    return DepartmentRouter(KB, Canonicalizer({})).route(utt, terms(utt))


def test_department_keywords_route() -> None:
    result = route("河里被工厂排污了")
    assert result.department == "env"
    assert result.keyword > 0 and result.score >= result.keyword
    assert 0 < result.margin <= result.score


def test_faq_vocabulary_counts_for_its_department() -> None:
    assert route("末班车太早了").department == "traffic"


def test_department_examples_route_problems_in_their_words() -> None:
    """A department's `examples` (problems as callers tell them) are its vocabulary too: a
    caller who says none of its keywords is routed by the words of its examples."""
    with_examples = parse_knowledge_base({
        **RAW, "departments": [
            *RAW["departments"][:2],
            {**RAW["departments"][2], "examples": ["司机不打表还绕远路", "半夜打不到车"]}],
    })
    utt = analyse("司机绕远路还不打表")
    assert route("司机绕远路还不打表").score == 0.0
    routed = DepartmentRouter(with_examples, Canonicalizer({})).route(utt, terms(utt))
    assert routed.department == "traffic" and routed.keyword == 0.0 and routed.semantic > 0


def test_nothing_known_scores_zero() -> None:
    assert route("今天天气不错").score == 0.0


def test_an_empty_knowledge_base_routes_nowhere() -> None:
    empty = KB.__class__({}, {}, {}, default_department="x")
    utt = analyse("污染")
    assert DepartmentRouter(empty, Canonicalizer({})).route(utt, terms(utt)).department is None


SHARED = parse_knowledge_base({
    "default_department": "front",
    "departments": [
        {"id": "front", "name": "前台", "queue": "q0", "keywords": ["小区"]},
        {"id": "env", "name": "环保局", "queue": "q1", "description": "污染和排污，噪声，废气",
         "keywords": ["污染", "排污", "小区"]},
        {"id": "housing", "name": "住建局", "queue": "q2",
         "description": "物业管理，电梯，房屋维修", "keywords": ["物业", "小区"]},
    ],
    "prompts": KB.prompts,
    "intents": [
        {"id": "lift", "department": "housing", "answer": "找物业。", "keywords": ["电梯"],
         "examples": ["电梯坏了没人修", "楼里的电梯天天停", "物业不修电梯"]},
        {"id": "smoke", "department": "env", "answer": "打环保。", "keywords": ["黑烟"],
         "examples": ["工厂冒黑烟", "河水被工厂排污染黑了", "废气熏得睁不开眼"]},
    ],
})


@pytest.mark.parametrize(("text", "department"), [
    ("小区电梯又停了", "housing"),
    ("小区旁边的工厂冒黑烟", "env"),
    ("小区", None),  # the word alone: the classifier is sure of no department
])
def test_a_shared_keyword_is_settled_by_the_department_classifier(
    text: str, department: str | None
) -> None:
    utt = analyse(text)
    router = DepartmentRouter(SHARED, Canonicalizer({}))
    plain = router.route(utt, terms(utt))
    assert plain.margin < 0.4  # three departments list 小区: no keyword decides alone
    settled = router.settle(utt, terms(utt), least_keyword=0.44)
    if department is None:
        assert settled is None
        return
    assert settled is not None and settled.department == department
    assert settled.classifier is not None and settled.classifier >= 0.5
    assert (settled.score, settled.margin) == (plain.score, plain.margin)


def test_settling_needs_a_keyword_and_the_classifier() -> None:
    utt = analyse("小区电梯又停了")
    router = DepartmentRouter(SHARED, Canonicalizer({}))
    assert router.settle(utt, terms(utt), least_keyword=0.9) is None
    unlearned = DepartmentRouter(SHARED, Canonicalizer({}), learned=False)
    assert unlearned.settle(utt, terms(utt), least_keyword=0.44) is None

