"""Tests for dialog.tools.suggest: clustering the utterances calls left unresolved."""

from __future__ import annotations

from dialog.matcher import Matcher
from dialog.tools.suggest import cluster, format_suggestions, suggest

# (text, times heard), most heard first: what the call store reads out of unresolved turns
# (tests/test_store.py, test_unresolved_utterances).
UTTERANCES = [
    ("社保卡密码忘了怎么办", 2), ("你会唱歌吗", 1), ("养老院怎么申请入住", 1),
    ("养老院的入住条件是什么", 1), ("社保卡密码怎么重置", 1), ("社保卡的密码忘记了", 1),
]


def test_clusters_group_paraphrases() -> None:
    groups = cluster(UTTERANCES)
    members = sorted(sorted(t for t, _ in g.members) for g in groups)
    assert ["社保卡密码忘了怎么办", "社保卡密码怎么重置", "社保卡的密码忘记了"] in members
    assert ["养老院怎么申请入住", "养老院的入住条件是什么"] in members
    assert ["你会唱歌吗"] in members


def test_proposals(matcher: Matcher) -> None:
    found = suggest(matcher, UTTERANCES)
    first = found[0]
    assert (first.kind, first.intent, first.count) == ("add_examples", "sbk_reissue", 4)
    assert first.department == "hrss"
    assert set(first.examples) == {
        "社保卡密码忘了怎么办", "社保卡的密码忘记了", "社保卡密码怎么重置"}
    care = next(s for s in found if "养老院怎么申请入住" in s.examples)
    assert care.kind == "new_intent" and care.count == 2 and care.intent is None
    assert {"养老", "老院", "入住"} & set(care.keywords)
    assert [s.count for s in found] == sorted((s.count for s in found), reverse=True)
    assert suggest(matcher, UTTERANCES, min_count=2)[0] == first
    assert len(suggest(matcher, UTTERANCES, min_count=2)) == 2


def test_output(matcher: Matcher) -> None:
    found = suggest(matcher, UTTERANCES)
    text = format_suggestions(found)
    assert text.startswith("[4×] add examples to sbk_reissue (hrss, score ")
    assert "    - 社保卡的密码忘记了" in text
    assert found[0].to_json()["kind"] == "add_examples"
    assert format_suggestions([]).startswith("no unresolved utterances")
