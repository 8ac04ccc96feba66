"""The blind evaluation set stays usable and untouched by tuning: well-formed, every label a
real id, and no line of its test split copied into the knowledge base."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dialog.intents import KnowledgeBase

BLIND = Path(__file__).resolve().parent / "data" / "blind"
KINDS = {"faq", "problem", "system", "answer", "out_of_scope"}


def _rows(split: str) -> list[dict]:
    return [json.loads(line) for line in (BLIND / f"{split}.jsonl").read_text("utf-8").splitlines()]


def _bare(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def test_both_splits_are_well_formed_and_disjoint(kb: KnowledgeBase) -> None:
    dev, test = _rows("dev"), _rows("test")
    assert len(dev) + len(test) >= 500
    assert not {r["id"] for r in dev} & {r["id"] for r in test}
    assert not {_bare(r["text"]) for r in dev} & {_bare(r["text"]) for r in test}
    departments = {f"dept:{d}" for d in kb.departments}
    for row in dev + test:
        assert row["kind"] in KINDS, row["id"]
        label = row["label"]
        assert (label in kb.intents or label in departments
                or label in {"out_of_scope", "yes", "no", "goodbye", "1", "2", "3"}), row["id"]


# Test lines the blind writer happened to phrase exactly as an example the knowledge base
# already had when the set was frozen (short common requests such as asking for a person):
# not copies, and scored like any other line. Any other overlap is a copy.
ALREADY_IN_KB_AT_FREEZE = {"B0113", "B0132", "B0258", "B0282", "B0312", "B0390", "B0391",
                           "B0587", "B0594"}


def _kb_phrases(kb: KnowledgeBase) -> set[str]:
    """Every example of an intent or a department, bare."""
    return ({_bare(e) for intent in kb.intents.values() for e in intent.examples}
            | {_bare(e) for dept in kb.departments.values() for e in dept.examples})


def test_no_test_line_is_copied_into_the_knowledge_base(kb: KnowledgeBase) -> None:
    examples = _kb_phrases(kb)
    copied = {r["id"] for r in _rows("test") if _bare(r["text"]) in examples}
    assert copied <= ALREADY_IN_KB_AT_FREEZE, (
        f"test lines copied into intents.yaml: {sorted(copied - ALREADY_IN_KB_AT_FREEZE)}")


ANSWERS = Path(__file__).resolve().parent / "data" / "blind_answers"
ANSWERS_IN_KB_AT_FREEZE = {"N0035", "N0063", "N0241"}  # short yes/no/goodbye replies


def test_the_answer_set_is_well_formed_disjoint_and_not_in_the_knowledge_base(
        kb: KnowledgeBase) -> None:
    dev, test = ([json.loads(line) for line in (ANSWERS / f"{split}.jsonl").read_text(
        "utf-8").splitlines()] for split in ("dev", "test"))
    assert len(dev) + len(test) == 320
    assert not {_bare(r["text"]) for r in dev} & {_bare(r["text"]) for r in test}
    departments = {f"dept:{d}" for d in kb.departments}
    for row in dev + test:
        assert row["kind"] == "answer" and row["context"]["prompt"] in {
            "confirm", "anything_else", "clarification", "survey"}, row["id"]
        named = [row["context"][k] for k in ("a", "b") if k in row["context"]]
        assert all(i in kb.intents for i in named), row["id"]
        assert (row["label"] in kb.intents or row["label"] in departments or row["label"] in
                {"yes", "no", "goodbye", "human_agent", "1", "2", "3"}), row["id"]
    copied = {r["id"] for r in test if _bare(r["text"]) in _kb_phrases(kb)}
    assert copied <= ANSWERS_IN_KB_AT_FREEZE, sorted(copied - ANSWERS_IN_KB_AT_FREEZE)


CHOICE = Path(__file__).resolve().parent / "data" / "blind_choice"
# test lines that were already examples word for word when the set was frozen
CHOICE_IN_KB_AT_FREEZE = {"C0052", "C0151", "C0161", "C0185"}


def test_the_department_choice_set_is_well_formed_disjoint_and_not_in_the_knowledge_base(
        kb: KnowledgeBase) -> None:
    dev, test = ([json.loads(line) for line in (CHOICE / f"{split}.jsonl").read_text(
        "utf-8").splitlines()] for split in ("dev", "test"))
    assert len(dev) == len(test) == 100
    assert not {_bare(r["text"]) for r in dev} & {_bare(r["text"]) for r in test}
    for row in dev + test:
        context = row["context"]
        assert row["kind"] == "answer" and context["prompt"] == "department_choice", row["id"]
        assert 2 <= len(context["options"]) <= 3, row["id"]
        assert all(d in kb.departments and d != kb.default_department
                   for d in context["options"]), row["id"]
        label = row["label"]
        assert label in {"none", "human_agent"} or label.removeprefix("dept:") in kb.departments
    copied = {r["id"] for r in test if _bare(r["text"]) in _kb_phrases(kb)}
    assert copied <= CHOICE_IN_KB_AT_FREEZE, sorted(copied - CHOICE_IN_KB_AT_FREEZE)


DATA = Path(__file__).resolve().parent / "data"
# Short replies the later helpers wrote word for word as held-out lines (满意, 没有了…), by id;
# one of each set's (嗯嗯; 不是出租车，是驾校的问题) was among the lines its changes fixed.
ANSWERS3_ALSO_HELD_OUT = {
    "R0009", "R0040", "R0056", "R0061", "R0066", "R0071", "R0089", "R0105", "R0109", "R0148",
    "R0181", "R0191", "R0203", "R0220", "R0227", "R0244", "R0271", "R0311", "R0313"}
ANSWERS4_ALSO_HELD_OUT = {
    "S0026", "S0027", "S0033", "S0042", "S0071", "S0079", "S0158", "S0165", "S0167", "S0201",
    "S0226", "S0229", "S0236", "S0262", "S0271", "S0297", "S0299", "S0308"}


ANSWERS5_ALSO_HELD_OUT = {
    "A5-035", "A5-103", "A5-145", "A5-150", "A5-174", "A5-232", "A5-263", "A5-298", "A5-300"}


@pytest.mark.parametrize(("folder", "size", "prompts", "replies", "held_out", "known"), [
    ("blind_answers3", 320, {"confirm", "anything_else", "clarification", "survey"},
     {"yes", "no", "goodbye", "human_agent", "1", "2", "3"}, ("blind_answers",),
     ANSWERS3_ALSO_HELD_OUT),
    ("blind_answers4", 320, {"confirm", "anything_else", "clarification", "department_choice"},
     {"yes", "no", "goodbye", "human_agent", "none"}, ("blind_answers", "blind_choice"),
     ANSWERS4_ALSO_HELD_OUT),
    ("blind_answers5", 300, {"confirm", "anything_else", "clarification", "department_choice"},
     {"yes", "no", "goodbye", "human_agent", "none"}, ("blind_answers", "blind_choice"),
     ANSWERS5_ALSO_HELD_OUT),
])
def test_the_later_answer_sets_are_well_formed_and_apart_from_the_held_out_answers(
        kb: KnowledgeBase, folder: str, size: int, prompts: set[str], replies: set[str],
        held_out: tuple[str, ...], known: set[str]) -> None:
    rows = [json.loads(line) for line in (DATA / folder / "dev.jsonl").read_text(
        "utf-8").splitlines()]
    assert len(rows) == size and len({r["id"] for r in rows}) == size
    departments = {f"dept:{d}" for d in kb.departments}
    for row in rows:
        context = row["context"]
        assert row["kind"] == "answer" and context["prompt"] in prompts, row["id"]
        assert all(context[k] in kb.intents for k in ("a", "b") if k in context), row["id"]
        assert all(d in kb.departments for d in context.get("options", ())), row["id"]
        assert (row["label"] in kb.intents or row["label"] in departments
                or row["label"] in replies), row["id"]
    test_lines = {_bare(json.loads(line)["text"]) for name in held_out
                  for line in (DATA / name / "test.jsonl").read_text("utf-8").splitlines()}
    shared = {r["id"] for r in rows if _bare(r["text"]) in test_lines}  # ids only, never text
    assert shared <= known, sorted(shared - known)


DATA_DIR = Path(__file__).resolve().parent / "data"
# The later request sets (problem reports, FAQ questions, out of scope), each by a new writer:
# (file, lines, ids of lines that happened to be a knowledge-base example word for word when
# the set was written, ids of lines also in an earlier set). Held-out ones are checked by id,
# never read: b2-272 is a short out-of-scope reply also in the first set (b4-154, one in an
# earlier set, was found by id and not read); b3-063 is 老年卡在哪办.
LATER_SETS = [
    ("blind2/test.jsonl", 300, set(), {"b2-272"}),
    ("blind3/dev.jsonl", 300, {"b3-063"}, set()),
    ("blind4/test.jsonl", 300, {"b4-080", "b4-257"}, {"b4-154"}),
    ("blind5/dev.jsonl", 200, set(), set()),
    ("blind6/dev.jsonl", 230, set(), set()),
    ("blind7/dev.jsonl", 300, {"b7-010", "b7-079", "b7-198"}, {"b7-088"}),
    ("blind8/test.jsonl", 300, set(), {"b8-195", "b8-251", "b8-285"}),
    ("blind9/dev.jsonl", 240, set(), set()),
    ("blind10/dev.jsonl", 300, set(), {"b10-035", "b10-217", "b10-271"}),
    ("blind11/dev.jsonl", 300, set(), {"b11-054"}),
    ("blind12/test.jsonl", 300, set(), set()),
    ("blind13/dev.jsonl", 300, set(), {"b13-015", "b13-096", "b13-183", "b13-233"}),
    ("blind14/dev.jsonl", 300, set(), set()),
    ("blind15/test.jsonl", 300, set(), {"b15-217"}),
    ("blind16/dev.jsonl", 300, set(), {"b16-006"}),
    ("blind17/test.jsonl", 300, set(), {"b17-032", "b17-173"}),
    ("blind18/dev.jsonl", 300, set(), {"b18-026", "b18-063", "b18-191"}),
    ("blind19/dev.jsonl", 300, {"b19-104", "b19-143"}, {"b19-081", "b19-148"}),
    ("blind20/test.jsonl", 300, {"b20-199"}, {"b20-021", "b20-092", "b20-216", "b20-294"}),
    ("blind21/dev.jsonl", 300, set(), {"b21-298"}),
    ("blind22/test.jsonl", 300, set(), set()),
    ("blind23/dev.jsonl", 300, set(), {"b23-176", "b23-234", "b23-239"}),
    ("blind24/test.jsonl", 300, set(),
     {"b24-063", "b24-080", "b24-100", "b24-129", "b24-193"}),
    ("blind25/dev.jsonl", 300, set(),
     {"b25-009", "b25-045", "b25-055", "b25-185", "b25-244", "b25-274"}),
    ("blind26/test.jsonl", 300, {"b26-203"},
     {"b26-101", "b26-124", "b26-159", "b26-259", "b26-276"}),
    ("blind27/dev.jsonl", 300, set(),
     {"b27-028", "b27-076", "b27-123", "b27-138", "b27-179", "b27-300"}),
    ("blind28/test.jsonl", 300, {"b28-061"},
     {"b28-011", "b28-027", "b28-061", "b28-064", "b28-174", "b28-185", "b28-188", "b28-237",
      "b28-278"}),
    ("blind29/dev.jsonl", 300, set(), {"b29-253"}),
    ("blind30/test.jsonl", 300, set(), set()),
    ("blind31/dev.jsonl", 300, {"b31-233"}, {"b31-010", "b31-223"}),
    ("blind32/test.jsonl", 300, {"b32-131"},
     {"b32-010", "b32-124", "b32-177", "b32-182", "b32-211", "b32-223"}),
    ("blind33/dev.jsonl", 300, {"b33-180"}, {"b33-064"}),
    ("blind34/test.jsonl", 300, set(), set()),
    ("blind35/dev.jsonl", 300, set(), set()),
    ("blind36/test.jsonl", 300, {"b36-209", "b36-225"},
     {"b36-261", "b36-272"}),
    ("blind37/dev.jsonl", 300, set(), set()),
    ("blind38/test.jsonl", 300, set(), {"b38-136"}),
    ("blind39/dev.jsonl", 300, set(), set()),
    ("blind40/dev.jsonl", 300, set(), {"b40-072", "b40-104"}),
    ("blind41/dev.jsonl", 300, set(), {"b41-026", "b41-087"}),
    ("blind42/test.jsonl", 300, set(), set()),
    ("blind43/dev.jsonl", 300, {"b43-190"}, {"b43-190"}),
    ("blind44/test.jsonl", 300, set(), {"b44-131", "b44-186", "b44-297"}),
    ("blind45/dev.jsonl", 300, {"b45-088"}, {"b45-088", "b45-131", "b45-260"}),
    ("blind46/dev.jsonl", 300, set(), set()),
    ("blind47/dev.jsonl", 300, set(), {"b47-117"}),
]


@pytest.mark.parametrize(("name", "size", "in_kb", "in_earlier"), LATER_SETS,
                         ids=[s[0] for s in LATER_SETS])
def test_a_later_blind_set_is_well_formed_new_and_not_in_the_knowledge_base(
        kb: KnowledgeBase, name: str, size: int, in_kb: set[str], in_earlier: set[str]) -> None:
    rows = [json.loads(line) for line in (DATA_DIR / name).read_text("utf-8").splitlines()]
    assert len(rows) == size and len({r["id"] for r in rows}) == size
    departments = {f"dept:{d}" for d in kb.departments}
    for row in rows:
        assert row["kind"] in {"problem", "faq", "out_of_scope"}, row["id"]
        assert row["label"] in kb.intents or row["label"] in departments or (
            row["label"] == "out_of_scope"), row["id"]
    earlier = {_bare(r["text"]) for r in _rows("dev") + _rows("test")}
    for before, *_ in LATER_SETS[:[s[0] for s in LATER_SETS].index(name)]:
        earlier |= {_bare(json.loads(line)["text"])
                    for line in (DATA_DIR / before).read_text("utf-8").splitlines()}
    shared = {r["id"] for r in rows if _bare(r["text"]) in earlier}  # ids only
    assert shared <= in_earlier, f"{name} lines also in an earlier set: {sorted(shared)}"
    copied = {r["id"] for r in rows if _bare(r["text"]) in _kb_phrases(kb)}
    assert copied <= in_kb, f"{name} lines copied into intents.yaml: {sorted(copied - in_kb)}"
