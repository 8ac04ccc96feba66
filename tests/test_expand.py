"""Tests for `ivr kb expand` (dialog.tools.expand): paraphrases proposed for review, labelled
by method, never already in the knowledge base, and never written into it."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from dialog.intents import KnowledgeBase
from dialog.matcher import Matcher
from dialog.normalize import normalize
from dialog.tools.expand import METHODS, propose, write_review
from dialog.tools.kbcli import add_kb_parser

REPO = Path(__file__).resolve().parents[1]


def test_proposals_use_every_method_and_are_new(matcher: Matcher, kb: KnowledgeBase) -> None:
    proposals = propose(matcher, "hpf_withdraw", limit=30)
    assert len(proposals) == 30
    assert {p.method for p in proposals} == set(METHODS)
    known = {normalize(e) for i in kb.intents.values() for e in i.examples}
    texts = [normalize(p.text) for p in proposals]
    assert not set(texts) & known
    assert len(set(texts)) == len(texts)
    synonym = next(p for p in proposals if p.method == "synonym")
    assert synonym.source in kb.intents["hpf_withdraw"].examples
    # the reviewer sees what today's matcher makes of each
    assert sum(p.matched == "hpf_withdraw" for p in proposals) >= 20


def test_proposals_are_deterministic(matcher: Matcher) -> None:
    assert propose(matcher, "sbk_reissue", 10) == propose(matcher, "sbk_reissue", 10)


def test_spoken_forms_and_kb_synonyms_are_substituted(matcher: Matcher) -> None:
    texts = {p.text for p in propose(matcher, "sbk_reissue", limit=200) if p.method == "synonym"}
    assert "社保卡丢了咋挂失" in texts  # 怎么 → 咋
    assert "社会保障卡丢了怎么挂失" in texts  # the knowledge base's own synonym


def test_review_file_leaves_the_knowledge_base_alone(tmp_path: Path, matcher: Matcher,
                                                     kb: KnowledgeBase) -> None:
    kb_file = tmp_path / "intents.yaml"
    kb_file.write_bytes((REPO / "intents.yaml").read_bytes())
    before = kb_file.read_bytes()
    parser = argparse.ArgumentParser()
    add_kb_parser(parser.add_subparsers(), read_unresolved=lambda _p: [])
    review = tmp_path / "review.yaml"
    args = parser.parse_args(["kb", "expand", "hpf_loan", "--kb", str(kb_file),
                              "--limit", "5", "--out", str(review)])
    assert args.func(args) == 0
    assert kb_file.read_bytes() == before
    doc = yaml.safe_load(review.read_text("utf-8"))
    assert doc["intent"] == "hpf_loan" and len(doc["proposals"]) == 5
    assert all(p["keep"] is False and p["method"] in METHODS for p in doc["proposals"])
    write_review(review, kb.intents["hpf_loan"], [])
    assert yaml.safe_load(review.read_text("utf-8"))["proposals"] == []


def test_unknown_intent_is_an_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    parser = argparse.ArgumentParser()
    add_kb_parser(parser.add_subparsers(), read_unresolved=lambda _p: [])
    args = parser.parse_args(["kb", "expand", "no_such_intent", "--out",
                              str(tmp_path / "r.yaml")])
    assert args.func(args) == 2
    assert "no intent 'no_such_intent'" in capsys.readouterr().err
