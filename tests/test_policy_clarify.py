"""Dialog policy: clarifying questions, routing by responsibility and the menu."""

from __future__ import annotations

import pytest

from dialog.intents import KnowledgeBase
from dialog.policy import CallerSpoke, DialogPolicy, Event, RecordOutcome, Say, Transfer
from dialog.types import Candidate, MatchResult
from tests.test_policy import (
    BEGIN,
    CANCEL,
    KB,
    PROMPTS,
    all_actions,
    ask,
    brief,
    done,
    faq,
    last_actions,
    nomatch,
    routed,
    run,
    said,
    system,
)

# ---- clarification ----------------------------------------------------------------------------




ASKED: list[Event] = [*BEGIN, ask("social_card", "housing_complaint"), done("clarification")]


def test_clarify_names_the_top_two_intents() -> None:
    state, steps = run([*BEGIN, ask("social_card", "housing_complaint")])
    assert steps[-1][1:] == [Say("clarification", "您是想咨询社保卡补办，还是公积金投诉？")]
    assert state.clarify == ("social_card", "housing_complaint")
    assert state.failures == 0  # asking is not a failure


def test_clarify_with_one_candidate_confirms_it() -> None:
    state, steps = run([*BEGIN, ask("social_card")])
    assert steps[-1][1:] == [Say("confirm", "您是想咨询社保卡补办吗？")]
    assert state.clarify == ("social_card",)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param(system("yes", "对"), [("say", "answer:social_card"), ("say", "anything_else")],
                     id="yes-takes-the-first"),
        pytest.param(said("第二个"), [("say", "answer:housing_complaint"), ("say", "transfer")],
                     id="ordinal-second"),
        pytest.param(said("前面那个"), [("say", "answer:social_card"), ("say", "anything_else")],
                     id="ordinal-first"),
        pytest.param(faq("housing_complaint"), [("say", "answer:housing_complaint"),
                                                ("say", "transfer")], id="names-one-of-them"),
        pytest.param(ask("housing_complaint", "tax_dispute"),
                     [("say", "answer:housing_complaint"), ("say", "transfer")],
                     id="same-ambiguity-takes-the-top"),
        pytest.param(system("no", "都不是"), [("say", "ask_question")], id="no-asks-again"),
        pytest.param(faq("tax_dispute"), [("say", "transfer")], id="a-new-question"),
        pytest.param(nomatch(), [("say", "no_match")], id="not-understood"),
        pytest.param(ask("tax_dispute", "empty_answer"), [("say", "no_match")],
                     id="second-unclear-answer-is-a-failure"),
    ],
)
def test_the_next_utterance_resolves_the_clarification(
    reply: CallerSpoke, expected: list[tuple[str, ...]]
) -> None:
    state, steps = run([*ASKED, reply])
    assert [brief(a) for a in steps[-1]] == [CANCEL, *expected]
    assert state.clarify == ()


def test_no_after_a_clarification_does_not_hang_up() -> None:
    state, _ = run([*ASKED, system("no", "不是")])
    assert state.phase == "speaking" and state.outcome is None


def test_repeat_keeps_the_clarification_pending() -> None:
    _, steps = run([*ASKED, system("repeat"), done("repeat"), system("yes")])
    assert steps[-3][-1] == Say("repeat", "您是想咨询社保卡补办，还是公积金投诉？")
    assert [brief(a) for a in steps[-1]][1] == ("say", "answer:social_card")


def test_human_request_during_a_clarification_transfers() -> None:
    state, _ = run([*ASKED, system("human_agent"), done("transfer")])
    assert state.outcome == "transferred" and state.clarify == ()


def test_unknown_candidates_are_not_asked_about() -> None:
    spoke = CallerSpoke(MatchResult(None, 0.5, None, "clarify",
                                    candidates=(Candidate("ghost", 0.5),)))
    assert last_actions([*BEGIN, spoke]) == [CANCEL, ("say", "no_match")]


def test_a_single_candidate_without_a_confirm_prompt_is_answered() -> None:
    prompts = {k: v for k, v in PROMPTS.items() if k != "confirm"}
    kb = KnowledgeBase(KB.departments, KB.intents, prompts, default_department="hotline")
    _, steps = run([*BEGIN, ask("social_card")], DialogPolicy(kb))
    assert [brief(a) for a in steps[-1]][1] == ("say", "answer:social_card")


# ---- routing by responsibility ------------------------------------------------------------------



def test_routing_says_the_responsible_department_then_transfers() -> None:
    state, steps = run([*BEGIN, routed("tax"), done("route")])
    assert steps[-2][1:] == [Say("route", "您反映的问题由税务局负责，正在为您转接。")]
    assert steps[-1] == [Transfer("tax", "q-tax", "routing"), RecordOutcome("transferred")]
    assert state.transfer_reason == "routing"


def test_routing_without_a_route_prompt_uses_the_transfer_prompt() -> None:
    prompts = {k: v for k, v in PROMPTS.items() if k != "route"}
    kb = KnowledgeBase(KB.departments, KB.intents, prompts, default_department="hotline")
    _, steps = run([*BEGIN, routed("tax")], DialogPolicy(kb))
    assert steps[-1][1:] == [Say("transfer", "正在为您转接税务局人工服务，请稍候。")]


def test_routing_with_转人工_is_a_caller_request() -> None:
    actions = all_actions([*BEGIN, routed("tax", "发票的事转人工"), done("transfer")])
    assert actions[-2:] == [("transfer", "tax", "q-tax", "intent"), ("end", "transferred")]


def test_menu_says_what_the_bot_can_do() -> None:
    _, steps = run([*BEGIN, system("menu")])
    assert steps[-1][1:] == [Say("menu", PROMPTS["menu"])]
