"""Tests for dialog.tools.suggest: clustering unresolved utterances from a real call database."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialog.intents import load_knowledge_base
from dialog.matcher import Matcher
from dialog.tools.suggest import cluster, format_suggestions, suggest, unresolved_utterances
from ivr.store import CallStore, TurnRecord

REPO = Path(__file__).resolve().parents[1]

TURNS = [  # (caller_text, intent, action)
    ("社保卡密码忘了怎么办", None, "none"),
    ("社保卡的密码忘记了", None, "none"),
    ("社保卡密码忘了怎么办", None, "none"),
    ("社保卡密码怎么重置", None, "clarify"),
    ("养老院怎么申请入住", None, "none"),
    ("养老院的入住条件是什么", None, "none"),
    ("你会唱歌吗", None, "none"),
    ("社保卡丢了怎么补办", "sbk_reissue", "answer"),  # resolved: not a suggestion
    ("是的", "yes", "none"),  # a system intent is resolved too
    ("工地晚上施工", None, "transfer"),  # routed: resolved
    ("", None, "none"),  # a key press
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "calls.sqlite3"
    store = CallStore(path)
    store.start_call("CA1", stream_sid="MZ1", protocol="twilio", from_number="+86",
                     to_number="12345", started_at=1.0, parameters={})
    for n, (text, intent, action) in enumerate(TURNS):
        store.add_turn("CA1", TurnRecord(
            caller_text=text, intent=intent, score=0.1, department=None, action=action,
            bot_text="", started_at=float(n), speech_end_at=None, recognized_at=None,
            reply_started_at=None, asr_ms=None, latency_ms=None))
    store.close()
    return path


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_knowledge_base(REPO / "intents.yaml"))


def test_reads_only_unresolved_utterances(db: Path) -> None:
    assert unresolved_utterances(db) == [
        ("社保卡密码忘了怎么办", 2), ("你会唱歌吗", 1), ("养老院怎么申请入住", 1),
        ("养老院的入住条件是什么", 1), ("社保卡密码怎么重置", 1), ("社保卡的密码忘记了", 1),
    ]


def test_missing_database(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        unresolved_utterances(tmp_path / "none.sqlite3")


def test_clusters_group_paraphrases(db: Path) -> None:
    groups = cluster(unresolved_utterances(db))
    members = sorted(sorted(t for t, _ in g.members) for g in groups)
    assert ["社保卡密码忘了怎么办", "社保卡密码怎么重置", "社保卡的密码忘记了"] in members
    assert ["养老院怎么申请入住", "养老院的入住条件是什么"] in members
    assert ["你会唱歌吗"] in members


def test_proposals(db: Path, matcher: Matcher) -> None:
    found = suggest(matcher, unresolved_utterances(db))
    first = found[0]
    assert (first.kind, first.intent, first.count) == ("add_examples", "sbk_reissue", 4)
    assert first.department == "hrss"
    assert set(first.examples) == {
        "社保卡密码忘了怎么办", "社保卡的密码忘记了", "社保卡密码怎么重置"}
    care = next(s for s in found if "养老院怎么申请入住" in s.examples)
    assert care.kind == "new_intent" and care.count == 2 and care.intent is None
    assert {"养老", "老院", "入住"} & set(care.keywords)
    assert [s.count for s in found] == sorted((s.count for s in found), reverse=True)
    assert suggest(matcher, unresolved_utterances(db), min_count=2)[0] == first
    assert len(suggest(matcher, unresolved_utterances(db), min_count=2)) == 2


def test_output(db: Path, matcher: Matcher) -> None:
    found = suggest(matcher, unresolved_utterances(db))
    text = format_suggestions(found)
    assert text.startswith("[4×] add examples to sbk_reissue (hrss, score ")
    assert "    - 社保卡的密码忘记了" in text
    assert found[0].to_json()["kind"] == "add_examples"
    assert format_suggestions([]).startswith("no unresolved utterances")
