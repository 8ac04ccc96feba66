"""Tests for dialog.heard: the recognizer's readings of the examples, read beside the
knowledge base, trained on by the classifier, reloaded with it, kept apart from evaluation."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml

from dialog.heard import heard_path, parse_heard
from dialog.intents import REQUIRED_PROMPTS, KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from dialog.kbholder import KnowledgeBaseHolder
from dialog.matcher import Matcher

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = {"hpf": ("公积金怎么提取", "公积金能取出来吗"), "tax": ("发票怎么开",)}


def row(intent: str, example: str, heard: str) -> str:
    return json.dumps({"intent": intent, "example": example, "heard": heard,
                       "confidence": 0.5, "recognizer": "whisper-base-beam5"},
                      ensure_ascii=False)


def test_readings_of_current_examples_are_kept_once_in_file_order() -> None:
    lines = [
        row("hpf", "公积金怎么提取", "攻击金怎么提取"),
        "",
        row("hpf", "公积金能取出来吗", "攻击进能取出来吗"),
        row("hpf", "公积金怎么提取", "攻击金怎么提取"),  # the same reading again
        row("hpf", "公积金怎么提取", "公积金怎么提取"),  # heard as written: nothing new
        row("hpf", "公积金怎么办", "攻击金怎么办"),  # stale: no longer an example
        row("gone", "发票怎么开", "发飘怎么开"),  # no such intent
        row("tax", "发票怎么开", "  "),  # heard nothing
    ]
    assert parse_heard(lines, EXAMPLES) == {"hpf": ("攻击金怎么提取", "攻击进能取出来吗")}


@pytest.mark.parametrize(("line", "says"), [
    ("{not json", "line 2: not JSON"),
    ("[1, 2]", "line 2: expected a JSON object"),
    ('{"intent": "hpf", "example": "公积金怎么提取"}', "line 2: needs string fields"),
])
def test_a_broken_line_is_an_error_naming_it(line: str, says: str) -> None:
    with pytest.raises(KnowledgeBaseError, match=says) as error:
        parse_heard([row("tax", "发票怎么开", "发飘怎么开"), line], EXAMPLES, "x.heard.jsonl")
    assert "x.heard.jsonl" in str(error.value)


def kb_data() -> dict[str, object]:
    return {
        "default_department": "front",
        "departments": [{"id": "front", "name": "前台", "queue": "q0"},
                        {"id": "fund", "name": "公积金中心", "queue": "q1"},
                        {"id": "tax", "name": "税务局", "queue": "q2"}],
        "prompts": {k: k for k in REQUIRED_PROMPTS},
        "intents": [
            {"id": "hpf", "department": "fund", "answer": "带身份证去公积金中心。",
             "examples": list(EXAMPLES["hpf"])},
            {"id": "tax", "department": "tax", "answer": "发票请找税务局。",
             "examples": list(EXAMPLES["tax"])},
        ],
    }


@pytest.fixture
def kb_file(tmp_path: Path) -> Path:
    path = tmp_path / "intents.yaml"
    path.write_text(yaml.safe_dump(kb_data(), allow_unicode=True), encoding="utf-8")
    return path


def test_the_readings_file_beside_the_knowledge_base_is_read_with_it(kb_file: Path) -> None:
    assert heard_path(kb_file) == kb_file.parent / "intents.heard.jsonl"
    assert load_knowledge_base(kb_file).heard == {}
    heard_path(kb_file).write_text(row("hpf", "公积金怎么提取", "攻击金怎么提取") + "\n",
                                   encoding="utf-8")
    kb = load_knowledge_base(kb_file)
    assert kb.heard == {"hpf": ("攻击金怎么提取",)}
    assert kb.intents["hpf"].examples == EXAMPLES["hpf"]  # readings are not examples


def test_a_broken_readings_file_fails_the_load_like_broken_yaml(kb_file: Path) -> None:
    heard_path(kb_file).write_text("{oops\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"intents\.heard\.jsonl: line 1"):
        load_knowledge_base(kb_file)


def test_the_classifier_learns_what_the_recognizer_makes_of_an_example(kb_file: Path) -> None:
    """A misreading no example contains (攻击金 for 公积金) points to its intent once it is
    among the readings."""
    misheard = "攻击金咋提取"
    before = Matcher(load_knowledge_base(kb_file)).match(misheard).signals["classifier"]
    heard_path(kb_file).write_text(
        "\n".join(row("hpf", e, e.replace("公积金", "攻击金")) for e in EXAMPLES["hpf"]),
        encoding="utf-8")
    after = Matcher(load_knowledge_base(kb_file)).match(misheard)
    # (The two-intent knowledge base is sure of hpf either way since the chatter class is no
    # bigger than the knowledge base (dialog.background.background_sample): strictly more.)
    assert after.intent == "hpf" and after.signals["classifier"] > before


def test_a_changed_readings_file_reloads_the_knowledge_base(kb_file: Path) -> None:
    holder = KnowledgeBaseHolder(kb_file)
    assert not holder.changed()
    path = heard_path(kb_file)
    path.write_text(row("hpf", "公积金怎么提取", "攻击金怎么提取") + "\n", encoding="utf-8")
    os.utime(path, ns=(2_000_000_000, 2_000_000_000))
    assert holder.changed()
    ok, _message = holder.reload()
    assert ok and holder.current.kb.heard == {"hpf": ("攻击金怎么提取",)}


# ---- the shipped readings ---------------------------------------------------------------------


def _bare(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def test_the_shipped_readings_are_current_and_never_an_evaluation_line(kb: KnowledgeBase) -> None:
    """Every intent has readings of its examples, and none equals a line of an evaluation
    file (ids only are printed: the held-out lines are never read)."""
    assert heard_path(REPO / "intents.yaml").is_file()
    faq = [i.id for i in kb.intents.values() if i.kind == "faq"]
    assert sum(len(kb.heard.get(i, ())) for i in faq) >= 10 * len(faq)
    readings = {_bare(r) for texts in kb.heard.values() for r in texts}
    data = REPO / "tests" / "data"
    for path in [*sorted(data.glob("blind*/*.jsonl"))]:
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
        same = [r["id"] for r in rows if _bare(r["text"]) in readings and len(_bare(r["text"])) > 3]
        assert not same, f"{path.name}: readings equal to lines {same}"
    for name in ("kb_eval.tsv", "kb_dev.tsv"):
        lines = (data / name).read_text("utf-8").splitlines()
        texts = {_bare(line.split("\t")[0]) for line in lines if "\t" in line}
        assert not {t for t in texts & readings if len(t) > 3}, name


def test_readings_train_the_shipped_classifier(kb: KnowledgeBase, matcher: Matcher) -> None:
    """What the recognizer made of an FAQ's examples now leads back to that FAQ (the first
    reading of each FAQ intent: they are training data, so nearly all)."""
    firsts = [(intent, texts[0]) for intent, texts in kb.heard.items()
              if kb.intents[intent].kind == "faq"]
    assert len(firsts) >= 60
    back = sum(matcher.match(text).intent == intent for intent, text in firsts)
    assert back >= 0.8 * len(firsts), (back, len(firsts))
