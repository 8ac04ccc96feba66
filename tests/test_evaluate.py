"""Tests for dialog.tools.evaluate: reading evaluation files, judging decisions, the report; and the
rule that evaluation sentences are never knowledge-base examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dialog.intents import load_knowledge_base
from dialog.matcher import Matcher
from dialog.normalize import normalize
from dialog.tools.evaluate import (
    EvalLine,
    decision,
    evaluate,
    format_report,
    judge,
    read_eval_file,
)
from dialog.types import Candidate, MatchResult

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests/data"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_knowledge_base(REPO / "intents.yaml"))


def test_the_evaluation_file_is_big_enough_and_varied() -> None:
    lines = read_eval_file(DATA / "kb_eval.tsv")
    assert len(lines) >= 150
    kinds = {"none": 0, "dept": 0, "intent": 0}
    for line in lines:
        kind = "none" if line.expected == "none" else (
            "dept" if line.expected.startswith("dept:") else "intent")
        kinds[kind] += 1
    assert kinds["none"] >= 15 and kinds["dept"] >= 10 and kinds["intent"] >= 120


@pytest.mark.parametrize(
    ("name", "kinds"),
    [("kb_eval.tsv", {"faq", "system"}),
     # One-word answers (是的, 不是, 转人工) are unavoidably both system examples and lines here.
     ("kb_dev.tsv", {"faq"}), ("setA_recognised.tsv", {"faq"})],
)
def test_no_evaluation_line_is_an_example(name: str, kinds: set[str]) -> None:
    """Examples that equal evaluation lines would measure memorisation, not matching."""
    kb = load_knowledge_base(REPO / "intents.yaml")
    examples = {normalize(e) for i in kb.intents.values() if i.kind in kinds
                for e in i.examples}
    evaluation = {normalize(line.text) for line in read_eval_file(DATA / name)}
    assert not (examples & evaluation)


def test_labels_name_known_intents_and_departments() -> None:
    kb = load_knowledge_base(REPO / "intents.yaml")
    for name in ("kb_eval.tsv", "kb_dev.tsv", "setA_recognised.tsv"):
        for line in read_eval_file(DATA / name):
            label = line.expected
            if label.startswith("dept:"):
                assert label[5:] in kb.departments, (name, line)
            elif label != "none":
                assert label in kb.intents, (name, line)


def test_read_formats(tmp_path: Path) -> None:
    plain = tmp_path / "plain.tsv"
    plain.write_text("# comment\n社保卡丢了\tsbk_reissue\n天气\tnone\n\n", encoding="utf-8")
    assert read_eval_file(plain) == [EvalLine("社保卡丢了", "sbk_reissue"),
                                     EvalLine("天气", "none")]
    setA = read_eval_file(DATA / "setA_recognised.tsv")  # recognizer, text, intent_label
    assert len(setA) == 120
    assert setA[-1].expected == "none"  # out_of_scope
    bad = tmp_path / "bad.tsv"
    bad.write_text("text\tlabel\n只有一列\n", encoding="utf-8")
    with pytest.raises(ValueError, match="row 1"):
        read_eval_file(bad)
    nolabel = tmp_path / "nolabel.tsv"
    nolabel.write_text("text\tfoo\na\tb\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no expected column"):
        read_eval_file(nolabel)


def result(intent: str | None, action: str, department: str | None = None,
           candidates: tuple[Candidate, ...] = ()) -> MatchResult:
    return MatchResult(intent, 0.5, department, action, candidates=candidates)  # type: ignore[arg-type]


CLARIFY = result(None, "clarify", candidates=(Candidate("a", 0.5, "d1"), Candidate("b", 0.4)))


@pytest.mark.parametrize(
    ("expected", "match", "correct", "top1"),
    [
        ("a", result("a", "answer", "d1"), True, True),
        ("a", CLARIFY, False, True),  # asked, with the right intent first
        ("b", CLARIFY, False, False),
        ("none", result(None, "none"), True, True),
        ("none", result("yes", "none"), False, False),  # a system intent is not a rejection
        ("none", CLARIFY, False, False),
        ("dept:d1", result(None, "transfer", "d1"), True, True),  # routed
        ("dept:d1", result("a", "answer", "d1"), True, True),  # an FAQ of that department
        ("dept:d1", CLARIFY, False, True),
        ("dept:d2", result(None, "transfer", "d1"), False, False),
    ],
)
def test_judge(expected: str, match: MatchResult, correct: bool, top1: bool) -> None:
    judged = judge(EvalLine("x", expected), match)
    assert (judged.correct, judged.top1_correct) == (correct, top1)


def test_decision_vocabulary() -> None:
    assert decision(CLARIFY) == "clarify:a|b"
    assert decision(result(None, "transfer", "d1")) == "dept:d1"
    assert decision(result(None, "none")) == "none"


def test_report_metrics_timing_and_confusions(matcher: Matcher) -> None:
    lines = [EvalLine("社保卡丢了怎么补办", "sbk_reissue"), EvalLine("今天天气怎么样", "none"),
             EvalLine("发票怎么开", "sbk_reissue"), EvalLine("讲个笑话", "none")]
    report = evaluate(matcher, lines, repeats=2)
    m = report.metrics()
    assert (m["lines"], m["in_scope_lines"], m["out_of_scope_lines"]) == (4, 2, 2)
    assert m["accuracy"] == 0.75 and m["in_scope_top1"] == 0.5
    assert m["out_of_scope_recall"] == 1.0 and m["out_of_scope_precision"] == 1.0
    assert m["answer_rate"] == 0.5 and m["no_match_rate"] == 0.5
    assert len(report.times_ms) == 8
    assert report.confusions() == [("sbk_reissue", "tax_invoice", 1, ["发票怎么开"])]
    text = format_report(report, "demo.tsv")
    assert "| p50 | p90 | p99 | max | matches |" in text
    assert "sbk_reissue → tax_invoice: 1" in text
    assert report.to_json()["confusions"][0]["got"] == "tax_invoice"  # type: ignore[index]


def test_a_blind_set_is_read_without_the_answers_to_the_bots_questions(tmp_path: Path) -> None:
    blind = tmp_path / "b.jsonl"
    blind.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in [
        {"id": "B1", "text": "社保卡丢了", "kind": "faq", "label": "sbk_reissue"},
        {"id": "B2", "text": "给我点份外卖", "kind": "out_of_scope", "label": "out_of_scope"},
        {"id": "B3", "text": "就这些", "kind": "answer", "label": "no",
         "context": {"prompt": "anything_else"}},
        {"id": "B4", "text": "楼下工地半夜施工", "kind": "problem", "label": "dept:housing"},
    ]) + "\n", encoding="utf-8")
    assert read_eval_file(blind) == [EvalLine("社保卡丢了", "sbk_reissue"),
                                     EvalLine("给我点份外卖", "none"),
                                     EvalLine("楼下工地半夜施工", "dept:housing")]
    blind.write_text('{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="line 1 is not a blind-set row"):
        read_eval_file(blind)


def test_report_counts_the_department_choice_question(matcher: Matcher) -> None:
    """A no-match answered with the department-choice question is counted, with whether the
    line's department is named first or at all (issue 10 item 4)."""
    problem = "请求整顿步行街的商户"
    options = [g.department for g in matcher.match(problem).guesses]
    lines = [EvalLine(problem, f"dept:{options[0]}"), EvalLine(problem, f"dept:{options[2]}"),
             EvalLine(problem, "dept:gov_service"), EvalLine(problem, "none"),
             EvalLine("今天天气怎么样", "none"), EvalLine("社保卡丢了怎么补办", "sbk_reissue")]
    report = evaluate(matcher, lines, repeats=0)
    assert report.lines[0].options == tuple(options)
    assert report.lines[4].options == report.lines[5].options == ()
    m = report.metrics()
    assert (m["no_match_rate"], m["choice_asked"], m["choice_asked_of_no_match"]) == (
        5 / 6, 4, 0.8)
    assert (m["choice_asked_out_of_scope"], m["choice_in_scope"]) == (1, 3)
    assert (m["choice_right_first"], m["choice_right_any"]) == (1 / 3, 2 / 3)
    assert "choice_right_any" in format_report(report)
