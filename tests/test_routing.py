"""Tests for dialog.routing: the department responsible for a problem no FAQ answers."""

from __future__ import annotations

from dialog.intents import parse_knowledge_base
from dialog.phonetic import analyse
from dialog.routing import DepartmentRouter
from dialog.semantic import terms
from dialog.synonyms import Canonicalizer

KB = parse_knowledge_base({
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
})


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


def test_nothing_known_scores_zero() -> None:
    assert route("今天天气不错").score == 0.0


def test_an_empty_knowledge_base_routes_nowhere() -> None:
    empty = KB.__class__({}, {}, {}, default_department="x")
    utt = analyse("污染")
    assert DepartmentRouter(empty, Canonicalizer({})).route(utt, terms(utt)).department is None
