"""Dialog policy: the department-choice question after a declined problem (issue 10 item 4)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dialog.intents import Department, KnowledgeBase
from dialog.policy import (
    CallerHungUp,
    CallerSpoke,
    DialogPolicy,
    Event,
    KeyPressed,
    PolicyConfig,
    RecordOutcome,
    Say,
    Transfer,
)
from dialog.types import Candidate, Guess, MatchResult
from tests.test_policy import BEGIN, CANCEL, KB, PROMPTS, brief, done, faq, nomatch, run, system

CHOICE_PROMPT = "请问您的问题属于哪个方面：{options}？都不是的话请说“人工”。"
DEPARTMENTS = {
    **KB.departments,
    "social": Department("social", "人社局", "q-social", area="社会保障", keywords=("工资",)),
    "housing": Department("housing", "公积金中心", "q-housing", area="公积金"),
    "tax": Department("tax", "税务局", "q-tax", area="税务", keywords=("发票",)),
}
CHOICE_KB = KnowledgeBase(DEPARTMENTS, KB.intents,
                          {**PROMPTS, "department_choice": CHOICE_PROMPT},
                          default_department="hotline")
POLICY = DialogPolicy(CHOICE_KB)


def declined(text: str = "我们小区门口那条路的事", *departments: str,
             confidence: float | None = None) -> CallerSpoke:
    """A problem the matcher declined, with the router's guesses (best first)."""
    guesses = tuple(Guess(d, 0.5 - 0.1 * i) for i, d in enumerate(departments))
    match = MatchResult(None, 0.2, None, "none", text=text, guesses=guesses)
    return CallerSpoke(match.heard_with(confidence))


def routed(department: str, text: str) -> CallerSpoke:
    return CallerSpoke(MatchResult(None, 0.7, department, "transfer", text=text))


ASK = declined("我们小区门口那条路的事", "social", "housing", "tax")
ASKED: list[Event] = [*BEGIN, ASK, done("department_choice")]
QUESTION = "请问您的问题属于哪个方面：社会保障、公积金，还是税务？都不是的话请说“人工”。"


def actions(events: list[Event], policy: DialogPolicy = POLICY) -> list[tuple[str, ...]]:
    return [brief(a) for a in run(events, policy)[1][-1]]


# ---- asking ---------------------------------------------------------------------------------


def test_a_declined_problem_with_guesses_asks_which_area_it_belongs_to() -> None:
    state, steps = run([*BEGIN, ASK], POLICY)
    assert steps[-1][1:] == [Say("department_choice", QUESTION)]
    assert state.choice == ("social", "housing", "tax")
    assert state.failures == 0 and state.phase == "speaking"


@pytest.mark.parametrize(("spoken", "policy", "expected"), [
    pytest.param(declined("嗯那个什么"), POLICY, ("say", "no_match"), id="no-guesses"),
    pytest.param(declined("x", "hotline"), POLICY, ("say", "no_match"),
                 id="only-the-general-desk"),
    pytest.param(ASK, DialogPolicy(KB), ("say", "no_match"), id="no-prompt"),
    pytest.param(ASK, DialogPolicy(CHOICE_KB, PolicyConfig(choice_options=0)),
                 ("say", "no_match"), id="turned-off"),
    pytest.param(declined("x", "social", "housing", confidence=0.3), POLICY, ("say", "reask"),
                 id="doubtful-transcript-is-asked-again-shorter"),
])
def test_when_the_question_is_not_asked(spoken: CallerSpoke, policy: DialogPolicy,
                                        expected: tuple[str, ...]) -> None:
    assert actions([*BEGIN, spoken], policy) == [CANCEL, expected]


def test_the_options_are_the_best_guesses_and_never_the_general_desk() -> None:
    _, steps = run([*BEGIN, declined("x", "tax", "hotline", "social", "housing")], POLICY)
    assert steps[-1][1:] == [Say("department_choice", CHOICE_PROMPT.format(
        options="税务、社会保障，还是公积金"))]
    policy = DialogPolicy(CHOICE_KB, PolicyConfig(choice_options=2))
    _, steps = run([*BEGIN, declined("x", "tax", "social", "housing")], policy)
    assert steps[-1][1:] == [Say("department_choice", CHOICE_PROMPT.format(
        options="税务，还是社会保障"))]


def test_a_single_option_is_asked_with_something_else() -> None:
    state, steps = run([*BEGIN, declined("x", "tax")], POLICY)
    assert steps[-1][1:] == [Say("department_choice", CHOICE_PROMPT.format(
        options="税务，还是别的方面"))]
    assert state.choice == ("tax",)


# ---- the answer -----------------------------------------------------------------------------

ROUTE = ("say", "route")
TO_DESK = ("say", "transfer")


@pytest.mark.parametrize(("answer", "said", "department", "reason"), [
    pytest.param(nomatch("人社局"), ROUTE, "social", "caller_choice", id="name"),
    pytest.param(nomatch("社会保障的"), ROUTE, "social", "caller_choice", id="area"),
    pytest.param(faq("social_card", "社会保障"), ROUTE, "social", "caller_choice",
                 id="area-that-also-matches-an-faq"),
    pytest.param(faq("tax_dispute", "税务"), ROUTE, "tax", "caller_choice",
                 id="area-that-matches-a-transferring-faq"),
    pytest.param(nomatch("发票的事"), ROUTE, "tax", "caller_choice", id="duty-word"),
    pytest.param(nomatch("第二个"), ROUTE, "housing", "caller_choice", id="ordinal"),
    pytest.param(nomatch("后面那个"), ROUTE, "tax", "caller_choice", id="last-one"),
    pytest.param(system("no", "都不是"), TO_DESK, "hotline", "choice_none", id="none-of-them"),
    pytest.param(nomatch("不知道"), TO_DESK, "hotline", "choice_none", id="does-not-know"),
    pytest.param(nomatch("嗯嗯"), TO_DESK, "hotline", "choice_unclear", id="unclear"),
    pytest.param(declined("还是那条路的事", "social", "tax"), TO_DESK, "hotline",
                 "choice_unclear", id="second-decline-does-not-loop"),
    pytest.param(system("yes", "对"), TO_DESK, "hotline", "choice_unclear",
                 id="yes-to-three-options"),
    pytest.param(system("human_agent", "人工"), TO_DESK, "hotline", "caller_request",
                 id="asks-for-a-person"),
    pytest.param(routed("tax", "我想问一下我那个发票开错了怎么作废重开"), ROUTE, "tax", "routing",
                 id="new-routed-request"),
])
def test_the_answer_transfers(answer: CallerSpoke, said: tuple[str, ...], department: str,
                              reason: str) -> None:
    state, steps = run([*ASKED, answer, done(said[1])], POLICY)
    assert [brief(a) for a in steps[-2]] == [CANCEL, said]
    queue = DEPARTMENTS[department].queue
    assert steps[-1] == [Transfer(department, queue, reason), RecordOutcome("transferred")]
    assert state.choice == () and state.transfer_reason == reason


def test_a_chosen_department_is_announced_by_name() -> None:
    _, steps = run([*ASKED, nomatch("第三个")], POLICY)
    assert steps[-1][1:] == [Say("route", "您反映的问题由税务局负责，正在为您转接。")]


def test_a_new_question_is_answered_as_usual() -> None:
    state, steps = run([*ASKED, faq("social_card", "我的社保卡丢了怎么补办呢")], POLICY)
    assert [brief(a) for a in steps[-1]] == [CANCEL, ("say", "answer:social_card"),
                                             ("say", "anything_else")]
    assert state.choice == () and state.outcome is None


def test_a_yes_to_the_only_option_routes_there() -> None:
    events: list[Event] = [*BEGIN, declined("x", "tax"), done("department_choice")]
    state, _ = run([*events, CallerSpoke(MatchResult("yes", 0.9, None, "none", text="是的"),
                                         "yes"), done("route")], POLICY)
    assert (state.transfer_department, state.transfer_reason) == ("tax", "caller_choice")


def test_a_no_reply_is_none_of_them() -> None:
    spoke = CallerSpoke(MatchResult(None, 0.1, None, "none", text="不对"), "no")
    state, _ = run([*ASKED, spoke], POLICY)
    assert (state.transfer_department, state.transfer_reason) == ("hotline", "choice_none")


def test_repeat_keeps_the_question_pending() -> None:
    state, steps = run([*ASKED, system("repeat"), done("repeat"), nomatch("第一个")], POLICY)
    assert steps[-3][-1] == Say("repeat", QUESTION)
    assert (state.transfer_department, state.transfer_reason) == ("social", "caller_choice")


@pytest.mark.parametrize(("text", "department", "reason"), [
    ("你说的第一个", "social", "caller_choice"),  # the matcher reads 你说的… as "say it again"
    ("最后那个", "tax", "caller_choice"),
    ("不清楚", "hotline", "choice_none"),
])
def test_an_answer_the_matcher_reads_as_repeat_is_still_the_answer(
        text: str, department: str, reason: str) -> None:
    state, _ = run([*ASKED, system("repeat", text)], POLICY)
    assert (state.transfer_department, state.transfer_reason) == (department, reason)


def test_asking_to_hear_it_again_is_no_answer_of_none() -> None:
    _, steps = run([*ASKED, system("repeat", "听不清楚")], POLICY)
    assert steps[-1][-1] == Say("repeat", QUESTION)


def test_an_area_said_twice_is_only_an_answer() -> None:
    both = MatchResult(None, 0.84, None, "clarify", text="税务，税务",
                       candidates=(Candidate("tax_dispute", 0.84), Candidate("social_card", 0.8)))
    state, _ = run([*ASKED, CallerSpoke(both)], POLICY)
    assert (state.transfer_department, state.transfer_reason) == ("tax", "caller_choice")


def test_key_zero_mid_question_transfers_to_the_desk() -> None:
    state, steps = run([*ASKED, KeyPressed("0"), done("transfer")], POLICY)
    assert steps[-1] == [Transfer("hotline", "q-hotline", "dtmf"), RecordOutcome("transferred")]
    assert state.choice == ()


def test_hanging_up_mid_question_ends_the_call() -> None:
    state, steps = run([*ASKED, CallerHungUp()], POLICY)
    assert [brief(a) for a in steps[-1]] == [CANCEL, ("end", "abandoned")]
    assert state.phase == "ended"


def test_the_question_is_not_a_failure_but_an_unclear_answer_ends_it() -> None:
    """After no_match once, the question still comes (it is not a blind repeat), and its
    unclear answer goes to the desk rather than round again."""
    state, _ = run([*BEGIN, nomatch(), done("no_match"), ASK], POLICY)
    assert state.choice and state.phase == "speaking"
    state = replace(state, phase="listening")
    state, acts = POLICY.step(state, nomatch("嗯"), 10.0)
    assert [brief(a) for a in acts] == [CANCEL, TO_DESK]


def test_the_policy_says_which_texts_answer_its_department_choice() -> None:
    """What the choice reader takes (an offered area, an ordinal, a duty word, none of
    them) counts as an answer for the call's reading order; nothing does after any other
    question."""
    state, _ = run(ASKED, POLICY)
    assert state.last_say_key == "department_choice"
    for text in ("税务", "第二个", "开发票的事", "都不是"):
        assert POLICY.reads_as_answer(state, text), text
    assert not POLICY.reads_as_answer(state, "今天天气怎么样")
    asked_else = replace(state, last_say_key="anything_else")
    assert not POLICY.reads_as_answer(asked_else, "税务")
    assert not POLICY.reads_as_answer(replace(state, choice=()), "税务")
