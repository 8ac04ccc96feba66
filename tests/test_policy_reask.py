"""The re-ask rule (issue 10 item 5): a no-match the recognizer doubted gets "请您简短地再说一遍"
before anything counts towards a transfer. Pure policy, table-tested; no audio, no clock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dialog.policy import REASK_TEXT, CallerSpoke, DialogPolicy, Event, PolicyConfig, Say
from dialog.types import MatchResult
from tests.test_policy import ANSWERED, BEGIN, CANCEL, KB, done, faq, last_actions, nomatch, run


def heard(event: CallerSpoke, confidence: float | None) -> CallerSpoke:
    """The same utterance as the call session hands it over: confidence in `signals`."""
    return CallerSpoke(event.match.heard_with(confidence), event.reply)


def doubtful(confidence: float = 0.3, text: str = "嗯那个什么") -> CallerSpoke:
    return heard(nomatch(text), confidence)


REASK = ("say", "reask")
NO_MATCH = ("say", "no_match")
TRANSFER = ("say", "transfer")

CASES: list[tuple[str, list[Event], list[tuple[str, ...]]]] = [
    ("doubtful no-match re-asks shorter", [*BEGIN, doubtful()], [CANCEL, REASK]),
    ("confident no-match is a plain no-match", [*BEGIN, doubtful(0.9)], [CANCEL, NO_MATCH]),
    ("at the threshold it is not doubtful", [*BEGIN, doubtful(0.6)], [CANCEL, NO_MATCH]),
    ("no confidence (text, DTMF, Vosk without words) never re-asks",
     [*BEGIN, nomatch()], [CANCEL, NO_MATCH]),
    ("only one re-ask per question",
     [*BEGIN, doubtful(), done("reask"), doubtful()], [CANCEL, NO_MATCH]),
    ("the re-ask is not a failure: two more misunderstandings before a transfer",
     [*BEGIN, doubtful(), done("reask"), nomatch()], [CANCEL, NO_MATCH]),
    ("... and the next one transfers",
     [*BEGIN, doubtful(), done("reask"), nomatch(), done("no_match"), nomatch()],
     [CANCEL, TRANSFER]),
    ("a doubtful no-match that would have transferred re-asks first",
     [*BEGIN, nomatch(), done("no_match"), doubtful()], [CANCEL, REASK]),
    ("a doubtful transcript that matched is answered",
     [*BEGIN, heard(faq("social_card"), 0.2)],
     [CANCEL, ("say", "answer:social_card"), ("say", "anything_else")]),
    ("转人工 heard doubtfully still transfers",
     [*BEGIN, doubtful(0.2, "我要转人工")], [CANCEL, TRANSFER]),
    ("a doubtful goodbye before anything was asked re-asks instead of hanging up",
     [*BEGIN, heard(CallerSpoke(MatchResult("goodbye", 0.7, None, "none", text="至于这样子了啊")),
                    0.3)], [CANCEL, REASK]),
    ("a sure goodbye closes", [*BEGIN, heard(CallerSpoke(MatchResult(
        "goodbye", 0.9, None, "none", text="再见")), 0.9)], [CANCEL, ("say", "goodbye")]),
    ("a doubtful goodbye after 还有其他问题吗 closes: the caller was asked",
     [*ANSWERED, heard(CallerSpoke(MatchResult("goodbye", 0.7, None, "none", text="再件")),
                       0.3)], [CANCEL, ("say", "goodbye")]),
    ("an answer gives the next question its own re-ask",
     [*BEGIN, doubtful(), done("reask"), faq("social_card"), done("anything_else"),
      doubtful()], [CANCEL, REASK]),
]


@pytest.mark.parametrize(("events", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_reask_table(events: list[Event], expected: list[tuple[str, ...]]) -> None:
    assert last_actions(events) == expected


def test_reask_text_falls_back_when_the_kb_has_no_prompt() -> None:
    _state, steps = run([*BEGIN, doubtful()])
    assert Say("reask", REASK_TEXT) in steps[-1]


def test_reask_prompt_from_the_kb() -> None:
    kb = replace(KB, prompts={**KB.prompts, "reask": "请简短一点再说一次。"})
    _state, steps = run([*BEGIN, doubtful()], DialogPolicy(kb))
    assert Say("reask", "请简短一点再说一次。") in steps[-1]


@pytest.mark.parametrize(("threshold", "max_reasks", "expected"), [
    (0.0, 1, NO_MATCH),  # off
    (0.35, 1, REASK),
    (0.25, 1, NO_MATCH),
    (0.6, 0, NO_MATCH),
])
def test_reask_config(threshold: float, max_reasks: int, expected: tuple[str, str]) -> None:
    policy = DialogPolicy(KB, PolicyConfig(reask_confidence=threshold, max_reasks=max_reasks))
    _state, steps = run([*BEGIN, doubtful(0.3)], policy)
    assert (expected[0], steps[-1][-1].key) == expected  # type: ignore[union-attr]


def test_confidence_is_a_signal() -> None:
    match = MatchResult(None, 0.1, None, "none", text="x", signals={"classifier": 0.2})
    assert match.heard_with(None) is match
    assert match.heard_with(0.42).signals == {"classifier": 0.2, "asr_confidence": 0.42}
    assert match.heard_with(0.42).to_json()["signals"] == {"classifier": 0.2,
                                                          "asr_confidence": 0.42}
