"""The queue discipline and the offer state machine (ivr/contact/dispatch.py), as tables:
a script of (time, event) and the actions expected after each. Time is passed in."""

from __future__ import annotations

import pytest

from ivr.contact.dispatch import agents_on_duty, next_deadline, position, step
from ivr.contact.dispatch_types import (
    AgentLeft,
    AgentSignedIn,
    AgentStatusChanged,
    AgentStatusSet,
    CallEnded,
    CallLeftQueue,
    CallQueued,
    ConnectCall,
    DispatchAction,
    DispatchConfig,
    DispatchEvent,
    DispatchState,
    Ignored,
    OfferAccepted,
    OfferCall,
    OfferRejected,
    Tick,
    WithdrawOffer,
)

CFG = DispatchConfig(offer_timeout_s=20.0, reoffer_after_s=30.0)
HRSS, TAX = frozenset({"hrss"}), frozenset({"tax"})
BOTH = HRSS | TAX

Script = list[tuple[float, DispatchEvent, list[DispatchAction]]]


def run(script: Script, state: DispatchState | None = None) -> DispatchState:
    state = state or DispatchState()
    for n, (now, event, expected) in enumerate(script):
        state, actions = step(state, event, now, CFG)
        assert actions == expected, f"step {n} ({event!r}) at t={now}"
    return state


CASES: dict[str, Script] = {
    "a caller waits until an agent signs in, who is offered the call and accepts": [
        (0, CallQueued("c1", "hrss"), []),
        (5, AgentSignedIn("a1", HRSS), [OfferCall("a1", "c1", "hrss", 25.0)]),
        (9, OfferAccepted("a1", "c1"),
         [ConnectCall("a1", "c1", 9.0), AgentStatusChanged("a1", "busy", "accepted")]),
    ],
    "the longest-idle agent with the skill is offered the call": [
        (0, AgentSignedIn("late", HRSS), []),
        (1, AgentSignedIn("early", HRSS), []),
        (2, AgentSignedIn("tax_only", TAX), []),
        (3, AgentStatusSet("late", "offline"), []),
        (4, AgentStatusSet("late", "available"), []),  # idle again from t=4: now the newest
        (5, CallQueued("c1", "hrss"), [OfferCall("early", "c1", "hrss", 25.0)]),
    ],
    "callers are served oldest first across the queues an agent takes": [
        (0, CallQueued("tax1", "tax"), []),
        (1, CallQueued("hrss1", "hrss"), []),
        (2, AgentSignedIn("a1", BOTH), [OfferCall("a1", "tax1", "tax", 22.0)]),
    ],
    "a rejected offer goes to the next agent; the caller keeps their place": [
        (0, AgentSignedIn("a1", HRSS), []),
        (1, AgentSignedIn("a2", HRSS), []),
        (2, CallQueued("c1", "hrss"), [OfferCall("a1", "c1", "hrss", 22.0)]),
        (3, CallQueued("c2", "hrss"), [OfferCall("a2", "c2", "hrss", 23.0)]),
        (4, OfferRejected("a1", "c1"), [WithdrawOffer("a1", "c1", "rejected")]),
        # a1 is free but declined c1; c2 is already offered to a2: nobody for c1 yet
        (6, OfferRejected("a2", "c2"),
         [WithdrawOffer("a2", "c2", "rejected"), OfferCall("a2", "c1", "hrss", 26.0),
          OfferCall("a1", "c2", "hrss", 26.0)]),  # oldest caller first, to who has not declined
    ],
    "an offer that lapses skips the agent, who is set offline": [
        (0, AgentSignedIn("a1", HRSS), []),
        (1, AgentSignedIn("a2", HRSS), []),
        (2, CallQueued("c1", "hrss"), [OfferCall("a1", "c1", "hrss", 22.0)]),
        (21.9, Tick(), []),
        (22, Tick(), [WithdrawOffer("a1", "c1", "timeout"),
                      AgentStatusChanged("a1", "offline", "missed offer"),
                      OfferCall("a2", "c1", "hrss", 42.0)]),
    ],
    "an agent who disconnects hands the offer on": [
        (0, AgentSignedIn("a1", HRSS), []),
        (1, AgentSignedIn("a2", HRSS), []),
        (2, CallQueued("c1", "hrss"), [OfferCall("a1", "c1", "hrss", 22.0)]),
        (3, AgentLeft("a1"),
         [WithdrawOffer("a1", "c1", "agent-left"), OfferCall("a2", "c1", "hrss", 23.0)]),
    ],
    "a caller who hangs up while offered frees the agent for the next caller": [
        (0, AgentSignedIn("a1", HRSS), []),
        (1, CallQueued("c1", "hrss"), [OfferCall("a1", "c1", "hrss", 21.0)]),
        (2, CallQueued("c2", "hrss"), []),
        (3, CallLeftQueue("c1", "hung up"),
         [WithdrawOffer("a1", "c1", "caller-left"), OfferCall("a1", "c2", "hrss", 23.0)]),
    ],
    "the only agent who declined gets the caller again once reoffer_after_s has passed": [
        (0, AgentSignedIn("a1", HRSS), []),
        (1, CallQueued("c1", "hrss"), [OfferCall("a1", "c1", "hrss", 21.0)]),
        (2, OfferRejected("a1", "c1"), [WithdrawOffer("a1", "c1", "rejected")]),
        (31.9, Tick(), []),
        (32, Tick(), [OfferCall("a1", "c1", "hrss", 52.0)]),
    ],
    "after a call the agent wraps up, then takes the next caller when available": [
        (0, AgentSignedIn("a1", HRSS), []),
        (1, CallQueued("c1", "hrss"), [OfferCall("a1", "c1", "hrss", 21.0)]),
        (2, OfferAccepted("a1", "c1"),
         [ConnectCall("a1", "c1", 1.0), AgentStatusChanged("a1", "busy", "accepted")]),
        (3, CallQueued("c2", "hrss"), []),
        (60, CallEnded("a1"), [AgentStatusChanged("a1", "wrap-up", "call ended")]),
        (90, AgentStatusSet("a1", "available"), [OfferCall("a1", "c2", "hrss", 110.0)]),
    ],
    "going offline while offered withdraws the offer": [
        (0, AgentSignedIn("a1", HRSS), []),
        (1, CallQueued("c1", "hrss"), [OfferCall("a1", "c1", "hrss", 21.0)]),
        (2, AgentStatusSet("a1", "offline"), [WithdrawOffer("a1", "c1", "agent offline")]),
    ],
    "late and foreign answers are ignored, not acted on": [
        (0, AgentSignedIn("a1", HRSS), []),
        (0, AgentSignedIn("a2", HRSS), []),
        (1, CallQueued("c1", "hrss"), [OfferCall("a1", "c1", "hrss", 21.0)]),
        (2, OfferAccepted("a2", "c1"), [Ignored("no offer of c1 to a2")]),
        (3, OfferRejected("a1", "nope"), [Ignored("no offer of nope to a1")]),
        (4, CallQueued("c1", "hrss"), [Ignored("call c1 is already queued")]),
        (5, AgentStatusSet("ghost", "available"), [Ignored("unknown agent ghost")]),
        (6, CallLeftQueue("nope", "hung up"), [Ignored("call nope is not queued")]),
        (7, OfferAccepted("a1", "c1"),
         [ConnectCall("a1", "c1", 6.0), AgentStatusChanged("a1", "busy", "accepted")]),
        (8, OfferAccepted("a1", "c1"), [Ignored("no offer of c1 to a1")]),  # twice
    ],
}


@pytest.mark.parametrize("name", list(CASES))
def test_dispatch(name: str) -> None:
    run(CASES[name])


def test_position_deadline_and_staffing() -> None:
    state = run([
        (0, CallQueued("h1", "hrss"), []),
        (1, CallQueued("t1", "tax"), []),
        (2, CallQueued("h2", "hrss"), []),
        (3, AgentSignedIn("a1", TAX), [OfferCall("a1", "t1", "tax", 23.0)]),
    ])
    assert [position(state, c) for c in ("h1", "h2", "t1", "gone")] == [1, 2, 1, None]
    assert next_deadline(state, CFG) == 23.0
    assert (agents_on_duty(state, "tax"), agents_on_duty(state, "hrss")) == (1, 0)
    state, _ = step(state, AgentStatusSet("a1", "offline"), 4, CFG)
    assert agents_on_duty(state, "tax") == 0
    assert next_deadline(state, CFG) == 34.0  # when t1 may go back to a1
