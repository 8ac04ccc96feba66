"""Tests for dialog/policy.py: event sequences in, actions and outcomes out. No I/O, no clock."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from dialog.intents import Department, Intent, KnowledgeBase
from dialog.policy import (
    Action,
    CallBegan,
    CallerHungUp,
    CallerSpoke,
    CallerStartedSpeaking,
    CancelTimer,
    DialogPolicy,
    DialogState,
    Event,
    HangUp,
    KeyPressed,
    PolicyConfig,
    PromptFinished,
    RecognitionError,
    RecordOutcome,
    Say,
    StartTimer,
    TimerFired,
    Transfer,
)
from dialog.types import NO_MATCH, Candidate, MatchResult

PROMPTS = {
    "greeting": "您好，这里是12345政务服务热线，请说出您要咨询的问题。",
    "anything_else": "请问还有其他问题吗？",
    "ask_question": "请说出您的问题。",
    "no_match": "抱歉，我没有听懂，请换个说法。",
    "no_input": "您还在吗？请说出您的问题。",
    "transfer": "正在为您转接{department}人工服务，请稍候。",
    "goodbye": "感谢您的来电，再见。",
    "error": "抱歉，系统出现故障。",
    "clarification": "您是想咨询{a}，还是{b}？",
    "confirm": "您是想咨询{a}吗？",
    "route": "您反映的问题由{department}负责，正在为您转接。",
    "menu": "您可以咨询社保、公积金和税务问题。",
}
CARD_ANSWER = "社保卡可以在人社局服务大厅或线上办理补办。"
HOUSING_ANSWER = "公积金投诉需要人工受理。"


def _system(intent_id: str) -> Intent:
    return Intent(id=intent_id, kind="system", department=None, action="answer")


def make_kb() -> KnowledgeBase:
    departments = {
        "hotline": Department("hotline", "市民热线", "q-hotline"),
        "social": Department("social", "人社局", "q-social"),
        "housing": Department("housing", "公积金中心", "q-housing"),
        "tax": Department("tax", "税务局", "q-tax"),
    }
    faqs = [
        Intent("social_card", "faq", "social", "answer", CARD_ANSWER, name="社保卡补办"),
        Intent("housing_complaint", "faq", "housing", "transfer", HOUSING_ANSWER,
               name="公积金投诉"),
        Intent("tax_dispute", "faq", "tax", "transfer"),
        Intent("empty_answer", "faq", "tax", "answer", ""),
    ]
    system = [_system(i) for i in ("human_agent", "repeat", "yes", "no", "goodbye", "menu")]
    intents = {i.id: i for i in faqs + system}
    return KnowledgeBase(departments, intents, dict(PROMPTS), default_department="hotline")


KB = make_kb()
POLICY = DialogPolicy(KB)


# ---- event shorthands ------------------------------------------------------------------------


def faq(intent_id: str, text: str = "") -> CallerSpoke:
    intent = KB.intents[intent_id]
    match = MatchResult(intent_id, 0.9, intent.department, intent.action, text=text)
    return CallerSpoke(match)


def system(intent_id: str, text: str = "") -> CallerSpoke:
    return CallerSpoke(MatchResult(intent_id, 0.9, None, "none", text=text))


def nomatch(text: str = "嗯那个什么") -> CallerSpoke:
    return CallerSpoke(MatchResult(None, 0.1, None, "none", text=text))


def done(key: str) -> PromptFinished:
    return PromptFinished(key)


BEGIN: list[Event] = [CallBegan(), done("greeting")]  # greeted, now listening
ANSWERED: list[Event] = [*BEGIN, faq("social_card"), done("anything_else")]
REPROMPTED_TWICE: list[Event] = [TimerFired("no_input"), done("no_input")] * 2


def run(
    events: Sequence[Event], policy: DialogPolicy = POLICY
) -> tuple[DialogState, list[list[Action]]]:
    state = policy.initial_state()
    steps: list[list[Action]] = []
    for n, event in enumerate(events):
        state, actions = policy.step(state, event, now=float(n))
        steps.append(actions)
    return state, steps


def brief(action: Action) -> tuple[str, ...]:
    """A compact, comparable form of an action (texts are checked in dedicated tests)."""
    match action:
        case Say(key=key):
            return ("say", key)
        case StartTimer(name=name, seconds=seconds):
            return ("start", name, str(seconds))
        case CancelTimer(name=name):
            return ("cancel", name)
        case Transfer(department=dept, queue=queue, reason=reason):
            return ("transfer", dept, queue, reason)
        case HangUp(reason=reason):
            return ("hangup", reason)
        case RecordOutcome(outcome=outcome):
            return ("end", outcome)
    raise AssertionError(action)


def last_actions(events: Sequence[Event]) -> list[tuple[str, ...]]:
    return [brief(a) for a in run(events)[1][-1]]


def all_actions(events: Sequence[Event]) -> list[tuple[str, ...]]:
    return [brief(a) for step in run(events)[1] for a in step]


LISTEN = ("start", "no_input", "8.0")
CANCEL = ("cancel", "no_input")

# ---- single-step table: the actions of the LAST event, and the phase after it -----------------

STEP_CASES: list[tuple[str, list[Event], list[tuple[str, ...]], str]] = [
    ("call began greets", [CallBegan()], [("say", "greeting")], "speaking"),
    ("greeting finished listens", BEGIN, [LISTEN], "listening"),
    ("caller starts speaking", [*BEGIN, CallerStartedSpeaking()], [CANCEL], "listening"),
    ("speech start before call ignored", [CallerStartedSpeaking()], [], "start"),
    (
        "faq answer then anything else",
        [*BEGIN, faq("social_card")],
        [CANCEL, ("say", "answer:social_card"), ("say", "anything_else")],
        "speaking",
    ),
    ("answer finished listens", ANSWERED, [LISTEN], "listening"),
    (
        "barge-in while speaking is answered",
        [CallBegan(), faq("social_card")],
        [CANCEL, ("say", "answer:social_card"), ("say", "anything_else")],
        "speaking",
    ),
    (
        "human_agent intent",
        [*BEGIN, system("human_agent")],
        [CANCEL, ("say", "transfer")],
        "transferring",
    ),
    (
        "转人工 in text overrides a no-match",
        [*BEGIN, nomatch("我要转人工")],
        [CANCEL, ("say", "transfer")],
        "transferring",
    ),
    (
        "faq transfer with answer says it first",
        [*BEGIN, faq("housing_complaint")],
        [CANCEL, ("say", "answer:housing_complaint"), ("say", "transfer")],
        "transferring",
    ),
    (
        "faq transfer without answer",
        [*BEGIN, faq("tax_dispute")],
        [CANCEL, ("say", "transfer")],
        "transferring",
    ),
    ("repeat", [*BEGIN, system("repeat")], [CANCEL, ("say", "repeat")], "speaking"),
    (
        "yes asks the question",
        [*BEGIN, system("yes")],
        [CANCEL, ("say", "ask_question")],
        "speaking",
    ),
    ("no says goodbye", [*ANSWERED, system("no")], [CANCEL, ("say", "goodbye")], "ending"),
    ("goodbye says goodbye", [*BEGIN, system("goodbye")], [CANCEL, ("say", "goodbye")], "ending"),
    ("first no-match re-asks", [*BEGIN, nomatch()], [CANCEL, ("say", "no_match")], "speaking"),
    (
        "faq answer intent with an empty answer counts as no-match",
        [*BEGIN, faq("empty_answer")],
        [CANCEL, ("say", "no_match")],
        "speaking",
    ),
    (
        "second no-match transfers",
        [*BEGIN, nomatch(), done("no_match"), nomatch()],
        [CANCEL, ("say", "transfer")],
        "transferring",
    ),
    ("dtmf 0 transfers", [*BEGIN, KeyPressed("0")], [CANCEL, ("say", "transfer")], "transferring"),
    ("other digits ignored", [*BEGIN, KeyPressed("5")], [], "listening"),
    ("dtmf before call ignored", [KeyPressed("0")], [], "start"),
    ("no-input re-prompts", [*BEGIN, TimerFired("no_input")], [("say", "no_input")], "speaking"),
    ("unknown timer ignored", [*BEGIN, TimerFired("other")], [], "listening"),
    (
        "no-input timer while speaking is stale",
        [CallBegan(), TimerFired("no_input")],
        [],
        "speaking",
    ),
    (
        "recognition error goes to a human",
        [*BEGIN, RecognitionError("decoder died")],
        [CANCEL, ("say", "error"), ("say", "transfer")],
        "transferring",
    ),
    (
        "transfer prompt finished transfers and ends",
        [*BEGIN, KeyPressed("0"), done("transfer")],
        [("transfer", "hotline", "q-hotline", "dtmf"), ("end", "transferred")],
        "ended",
    ),
    (
        "goodbye finished hangs up",
        [*ANSWERED, system("no"), done("goodbye")],
        [("hangup", "goodbye"), ("end", "answered")],
        "ended",
    ),
    (
        "hang-up while listening",
        [*BEGIN, CallerHungUp()],
        [CANCEL, ("end", "abandoned")],
        "ended",
    ),
    (
        "stale prompt finished ignored",
        [*BEGIN, faq("social_card"), done("greeting")],
        [],
        "speaking",
    ),
    (
        "earlier prompt of the same turn ignored",
        [*BEGIN, faq("social_card"), done("answer:social_card")],
        [],
        "speaking",
    ),
    (
        "caller speech ignored while transferring",
        [*BEGIN, KeyPressed("0"), nomatch()],
        [],
        "transferring",
    ),
    (
        "caller speech ignored while ending",
        [*BEGIN, system("goodbye"), faq("social_card")],
        [],
        "ending",
    ),
    ("dtmf ignored while ending", [*BEGIN, system("goodbye"), KeyPressed("0")], [], "ending"),
    (
        "error ignored while transferring",
        [*BEGIN, KeyPressed("0"), RecognitionError("x")],
        [],
        "transferring",
    ),
    ("second CallBegan ignored", [*BEGIN, CallBegan()], [], "listening"),
    ("prompt finished before call ignored", [done("greeting")], [], "start"),
]


@pytest.mark.parametrize(
    ("events", "expected", "phase"),
    [pytest.param(e, x, p, id=name) for name, e, x, p in STEP_CASES],
)
def test_step_table(events: list[Event], expected: list[tuple[str, ...]], phase: str) -> None:
    state, steps = run(events)
    assert [brief(a) for a in steps[-1]] == expected
    assert state.phase == phase


# ---- routing: which department and queue a transfer reaches ---------------------------------


@pytest.mark.parametrize(
    ("events", "transfer"),
    [
        pytest.param([faq("tax_dispute")], ("tax", "q-tax", "intent"), id="faq-transfer-own-dept"),
        pytest.param(
            [faq("housing_complaint")], ("housing", "q-housing", "intent"), id="faq-with-answer"
        ),
        pytest.param(
            [system("human_agent")], ("hotline", "q-hotline", "caller_request"), id="agent-default"
        ),
        pytest.param(
            [faq("social_card"), done("anything_else"), system("human_agent")],
            ("social", "q-social", "caller_request"),
            id="agent-last-department",
        ),
        pytest.param(
            [faq("social_card"), done("anything_else"), nomatch(), done("no_match"), nomatch()],
            ("social", "q-social", "no_match"),
            id="no-match-last-department",
        ),
        pytest.param(
            [faq("social_card"), done("anything_else"), KeyPressed("0")],
            ("social", "q-social", "dtmf"),
            id="dtmf-last-department",
        ),
        pytest.param(
            [RecognitionError("boom")], ("hotline", "q-hotline", "error"), id="error-default"
        ),
        pytest.param(
            [faq("social_card", "社保卡补办转人工")],
            ("social", "q-social", "caller_request"),
            id="转人工-with-faq-goes-to-its-dept",
        ),
    ],
)
def test_transfer_routing(events: list[Event], transfer: tuple[str, str, str]) -> None:
    actions = all_actions([*BEGIN, *events, done("transfer")])
    assert actions[-2:] == [("transfer", *transfer), ("end", "transferred")]
    assert sum(a[0] == "transfer" for a in actions) == 1


# ---- exact texts -------------------------------------------------------------------------------


def test_answer_and_prompt_texts() -> None:
    _, steps = run([*BEGIN, faq("social_card")])
    assert steps[0] == [Say("greeting", PROMPTS["greeting"])]
    assert steps[-1][1:] == [
        Say("answer:social_card", CARD_ANSWER, "social_card"),
        Say("anything_else", PROMPTS["anything_else"]),
    ]


def test_transfer_prompt_names_the_department() -> None:
    _, steps = run([*BEGIN, faq("housing_complaint")])
    assert steps[-1][-1] == Say("transfer", "正在为您转接公积金中心人工服务，请稍候。")
    assert steps[-1][-2] == Say("answer:housing_complaint", HOUSING_ANSWER, "housing_complaint")


def test_repeat_says_the_whole_last_turn_again() -> None:
    state, steps = run([*ANSWERED, system("repeat"), done("repeat"), system("repeat")])
    expected = f"{CARD_ANSWER} {PROMPTS['anything_else']}"
    assert steps[-1][-1] == Say("repeat", expected)
    assert steps[-3][-1] == Say("repeat", expected)
    assert state.last_bot_text == expected


def test_repeat_of_greeting() -> None:
    _, steps = run([*BEGIN, system("repeat")])
    assert steps[-1][-1] == Say("repeat", PROMPTS["greeting"])


def test_no_input_timer_uses_config() -> None:
    policy = DialogPolicy(KB, PolicyConfig(no_input_s=5.5, max_no_input=0))
    state, steps = run([*BEGIN, TimerFired("no_input")], policy)
    assert steps[1] == [StartTimer("no_input", 5.5)]
    assert steps[-1] == [Say("goodbye", PROMPTS["goodbye"])]  # no re-prompt allowed
    assert state.outcome == "no-input"


def test_max_failures_config() -> None:
    policy = DialogPolicy(KB, PolicyConfig(max_failures=3))
    events: list[Event] = [*BEGIN, nomatch(), done("no_match"), nomatch(), done("no_match")]
    state, steps = run([*events, nomatch()], policy)
    assert [brief(a) for a in steps[-3]] == [CANCEL, ("say", "no_match")]
    assert [brief(a) for a in steps[-1]] == [CANCEL, ("say", "transfer")]
    assert state.failures == 3


def test_goodbye_without_answers_is_abandoned() -> None:
    state, steps = run([*BEGIN, system("goodbye"), done("goodbye")])
    assert steps[-1] == [HangUp("goodbye"), RecordOutcome("abandoned")]
    assert state.outcome == "abandoned"


def test_began_at_records_now() -> None:
    state, _ = POLICY.step(POLICY.initial_state(), CallBegan(), now=12.5)
    assert state.began_at == 12.5


def test_nothing_happens_after_ended() -> None:
    state, _ = run([*BEGIN, CallerHungUp()])
    late: list[Event] = [
        CallBegan(),
        done("greeting"),
        nomatch(),
        KeyPressed("0"),
        CallerHungUp(),
        TimerFired("no_input"),
        RecognitionError("x"),
        CallerStartedSpeaking(),
    ]
    for event in late:
        new_state, actions = POLICY.step(state, event, now=99.0)
        assert actions == []
        assert new_state == state


def test_unknown_event_ignored() -> None:
    state, _ = run(BEGIN)
    new_state, actions = POLICY.step(state, object(), now=1.0)  # type: ignore[arg-type]
    assert (new_state, actions) == (state, [])


def test_thin_knowledge_base_never_raises() -> None:
    """No prompts, unknown departments: degraded speech, but still a transfer and an end."""
    kb = KnowledgeBase(
        departments={}, intents={}, prompts={"transfer": "{bad"}, default_department="nowhere"
    )
    policy = DialogPolicy(kb)
    state, steps = run([CallBegan(), done("greeting"), KeyPressed("0"), done("transfer")], policy)
    assert steps[-1] == [Transfer("nowhere", "", "dtmf"), RecordOutcome("transferred")]
    assert steps[-2][-1] == Say("transfer", "{bad")
    assert state.phase == "ended"


def test_match_result_with_unknown_intent_is_a_no_match() -> None:
    spoke = CallerSpoke(MatchResult("ghost", 0.9, None, "answer"))
    assert last_actions([*BEGIN, spoke]) == [CANCEL, ("say", "no_match")]
    assert last_actions([*BEGIN, CallerSpoke(NO_MATCH)]) == [CANCEL, ("say", "no_match")]


# ---- shorthands for clarification and routing events ----------------------------------------
def ask(*intents: str, text: str = "嗯那个") -> CallerSpoke:
    """A clarify result naming `intents` (best first)."""
    candidates = tuple(
        Candidate(i, 0.48 - n * 0.02, KB.intents[i].department) for n, i in enumerate(intents)
    )
    return CallerSpoke(MatchResult(None, 0.48, None, "clarify", text=text, candidates=candidates))


def said(text: str) -> CallerSpoke:
    return CallerSpoke(MatchResult(None, 0.1, None, "none", text=text))


def routed(department: str, text: str = "工地晚上施工太吵") -> CallerSpoke:
    return CallerSpoke(MatchResult(None, 0.7, department, "transfer", text=text))


# ---- property: random event sequences -------------------------------------------------------


def _random_event(rng: random.Random) -> Event:
    keys = [
        "greeting",
        "anything_else",
        "no_match",
        "no_input",
        "transfer",
        "goodbye",
        "error",
        "repeat",
        "ask_question",
        "answer:social_card",
        "answer:housing_complaint",
        "clarification",
        "confirm",
        "route",
        "menu",
    ]
    spoken = [faq(i) for i in ("social_card", "housing_complaint", "tax_dispute", "empty_answer")]
    spoken += [system(i) for i in ("human_agent", "repeat", "yes", "no", "goodbye")]
    spoken += [
        nomatch(),
        nomatch("转人工"),
        CallerSpoke(MatchResult("ghost", 1.0, "x", "transfer")),
        ask("social_card", "housing_complaint"),
        ask("tax_dispute"),
        routed("tax"),
        said("第二个"),
        system("menu"),
    ]
    choices: list[Event] = [
        CallBegan(),
        done(rng.choice(keys)),
        CallerStartedSpeaking(),
        rng.choice(spoken),
        KeyPressed(rng.choice("0123456789*#")),
        TimerFired(rng.choice(["no_input", "x"])),
        CallerHungUp(),
        RecognitionError("err"),
    ]
    return rng.choice(choices)


@pytest.mark.parametrize("seed", range(200))
def test_random_sequences_never_raise_and_end_at_most_once(seed: int) -> None:
    rng = random.Random(seed)
    policy = DialogPolicy(
        KB, PolicyConfig(max_no_input=rng.randint(0, 3), max_failures=rng.randint(1, 3))
    )
    events: list[Event] = [CallBegan()] if rng.random() < 0.8 else []
    events += [_random_event(rng) for _ in range(rng.randint(1, 60))]
    state, steps = run(events, policy)
    flat = [a for step in steps for a in step]
    ends = [a for a in flat if isinstance(a, RecordOutcome)]
    assert len(ends) <= 1
    assert sum(isinstance(a, Transfer | HangUp) for a in flat) <= 1
    if ends:
        assert state.phase == "ended" and ends[0].outcome == state.outcome
    # Nothing follows the end of the call.
    ended_at = next(
        (i for i, s in enumerate(steps) if any(isinstance(a, RecordOutcome) for a in s)), None
    )
    if ended_at is not None:
        assert all(s == [] for s in steps[ended_at + 1 :])
    # A hang-up always closes the record.
    if any(isinstance(e, CallerHungUp) for e in events):
        assert len(ends) == 1
