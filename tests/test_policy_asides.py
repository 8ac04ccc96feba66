"""Asides (a wrong number, a question about a shop, a remark: MatchResult.aside) are told what
the hotline does, not asked to repeat. Pure policy, table-tested; no audio, no clock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dialog.policy import CallerSpoke, DialogPolicy, Event
from dialog.types import MatchResult
from tests.test_policy import BEGIN, CANCEL, KB, brief, done, nomatch, run

OUT_OF_SCOPE = "抱歉，这个问题不在政务服务热线的受理范围。您可以咨询社保、公积金和税务问题。"
POLICY = DialogPolicy(replace(KB, prompts={**KB.prompts, "out_of_scope": OUT_OF_SCOPE}))


def aside(signal: str = "shop_question", confidence: float | None = None) -> CallerSpoke:
    match = MatchResult(None, 0.6, None, "none", text="中国银行几点关门",
                        signals={signal: 1.0})
    return CallerSpoke(match.heard_with(confidence))


def last(events: list[Event], policy: DialogPolicy = POLICY) -> list[tuple[str, ...]]:
    return [brief(a) for a in run(events, policy)[1][-1]]


SAY_OOS = ("say", "out_of_scope")
NO_MATCH = ("say", "no_match")
TRANSFER = ("say", "transfer")

CASES: list[tuple[str, list[Event], list[tuple[str, ...]]]] = [
    ("a shop question is told what the hotline does", [*BEGIN, aside()], [CANCEL, SAY_OOS]),
    ("so is a wrong number", [*BEGIN, aside("someone_else")], [CANCEL, SAY_OOS]),
    ("and a remark", [*BEGIN, aside("remark")], [CANCEL, SAY_OOS]),
    ("a plain no-match is still asked to repeat", [*BEGIN, nomatch()], [CANCEL, NO_MATCH]),
    ("an aside heard with doubt is no re-ask: its shape was heard",
     [*BEGIN, aside(confidence=0.3)], [CANCEL, SAY_OOS]),
    ("asides count towards the transfer a caller still gets",
     [*BEGIN, aside(), done("out_of_scope"), nomatch()], [CANCEL, TRANSFER]),
    ("... whichever comes second", [*BEGIN, nomatch(), done("no_match"), aside()],
     [CANCEL, TRANSFER]),
]


@pytest.mark.parametrize(("events", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_asides_table(events: list[Event], expected: list[tuple[str, ...]]) -> None:
    assert last(events) == expected


def test_without_the_prompt_an_aside_gets_no_match() -> None:
    assert last([*BEGIN, aside()], DialogPolicy(KB)) == [CANCEL, NO_MATCH]
