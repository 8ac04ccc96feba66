"""Dialog policy: whole calls, event by event, with every action and the recorded outcome."""

from __future__ import annotations

import pytest

from dialog.policy import CallBegan, CallerHungUp, Event, KeyPressed, TimerFired
from tests.test_policy import (
    ANSWERED,
    BEGIN,
    CANCEL,
    LISTEN,
    REPROMPTED_TWICE,
    all_actions,
    done,
    faq,
    nomatch,
    run,
    system,
)

# ---- whole-call table: every action of the call, and the recorded outcome -------------------

CALL_CASES: list[tuple[str, list[Event], list[tuple[str, ...]], str | None]] = [
    (
        "happy path: greeting, FAQ, 不是, goodbye, hangup",
        [*ANSWERED, system("no", "不是"), done("goodbye")],
        [
            ("say", "greeting"),
            LISTEN,
            CANCEL,
            ("say", "answer:social_card"),
            ("say", "anything_else"),
            LISTEN,
            CANCEL,
            ("say", "goodbye"),
            ("hangup", "goodbye"),
            ("end", "answered"),
        ],
        "answered",
    ),
    (
        "two no-matches transfer to the default department",
        [*BEGIN, nomatch(), done("no_match"), nomatch(), done("transfer")],
        [
            ("say", "greeting"),
            LISTEN,
            CANCEL,
            ("say", "no_match"),
            LISTEN,
            CANCEL,
            ("say", "transfer"),
            ("transfer", "hotline", "q-hotline", "no_match"),
            ("end", "transferred"),
        ],
        "transferred",
    ),
    (
        "three no-input timeouts: two re-prompts then goodbye",
        [
            *BEGIN,
            TimerFired("no_input"),
            done("no_input"),
            TimerFired("no_input"),
            done("no_input"),
            TimerFired("no_input"),
            done("goodbye"),
        ],
        [
            ("say", "greeting"),
            LISTEN,
            ("say", "no_input"),
            LISTEN,
            ("say", "no_input"),
            LISTEN,
            ("say", "goodbye"),
            ("hangup", "no-input"),
            ("end", "no-input"),
        ],
        "no-input",
    ),
    (
        "hang-up mid-greeting is abandoned",
        [CallBegan(), CallerHungUp()],
        [("say", "greeting"), CANCEL, ("end", "abandoned")],
        "abandoned",
    ),
    (
        "hang-up after an answer is answered",
        [*ANSWERED, CallerHungUp()],
        [
            ("say", "greeting"),
            LISTEN,
            CANCEL,
            ("say", "answer:social_card"),
            ("say", "anything_else"),
            LISTEN,
            CANCEL,
            ("end", "answered"),
        ],
        "answered",
    ),
    (
        "hang-up during the transfer prompt is transferred",
        [*BEGIN, KeyPressed("0"), CallerHungUp(), done("transfer")],
        [("say", "greeting"), LISTEN, CANCEL, ("say", "transfer"), CANCEL, ("end", "transferred")],
        "transferred",
    ),
    (
        "hang-up during goodbye keeps the decided outcome",
        [
            *BEGIN,
            *REPROMPTED_TWICE,
            TimerFired("no_input"),
            CallerHungUp(),
            done("goodbye"),
        ],
        [
            ("say", "greeting"),
            LISTEN,
            ("say", "no_input"),
            LISTEN,
            ("say", "no_input"),
            LISTEN,
            ("say", "goodbye"),
            CANCEL,
            ("end", "no-input"),
        ],
        "no-input",
    ),
    (
        "transfer then hang-up ends exactly once",
        [*BEGIN, system("human_agent"), done("transfer"), CallerHungUp(), done("transfer")],
        [
            ("say", "greeting"),
            LISTEN,
            CANCEL,
            ("say", "transfer"),
            ("transfer", "hotline", "q-hotline", "caller_request"),
            ("end", "transferred"),
        ],
        "transferred",
    ),
    (
        "no-input count resets when the caller speaks",
        [
            *BEGIN,
            TimerFired("no_input"),
            done("no_input"),
            TimerFired("no_input"),
            done("no_input"),
            nomatch(),
            done("no_match"),
            TimerFired("no_input"),
        ],
        [
            ("say", "greeting"),
            LISTEN,
            ("say", "no_input"),
            LISTEN,
            ("say", "no_input"),
            LISTEN,
            CANCEL,
            ("say", "no_match"),
            LISTEN,
            ("say", "no_input"),
        ],
        None,
    ),
    (
        "an answer resets the failure count",
        [*BEGIN, nomatch(), done("no_match"), faq("social_card"), done("anything_else"), nomatch()],
        [
            ("say", "greeting"),
            LISTEN,
            CANCEL,
            ("say", "no_match"),
            LISTEN,
            CANCEL,
            ("say", "answer:social_card"),
            ("say", "anything_else"),
            LISTEN,
            CANCEL,
            ("say", "no_match"),
        ],
        None,
    ),
]


@pytest.mark.parametrize(
    ("events", "expected", "outcome"),
    [pytest.param(e, x, o, id=name) for name, e, x, o in CALL_CASES],
)
def test_call_table(
    events: list[Event], expected: list[tuple[str, ...]], outcome: str | None
) -> None:
    state, _ = run(events)
    assert all_actions(events) == expected
    assert state.outcome == outcome
