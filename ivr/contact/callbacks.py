"""A callback request's life (遇忙回拨): pure rules, the store carries them out.

pending ──take──▶ taken ──done──▶ done
   ▲                │──no-answer──▶ pending again (attempts + 1), or failed at max_attempts
   └────release─────┘──failed──▶ failed
A callback not finished by its `due_at` is overdue, whatever its state, until it is closed.
Errors are values (`CallbackError`) with the reason, for a 409 the agent can read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

CallbackStatus = Literal["pending", "taken", "done", "failed"]
CallbackOutcome = Literal["done", "no-answer", "failed"]
OPEN_STATUSES: frozenset[str] = frozenset({"pending", "taken"})


@dataclass(frozen=True)
class CallbackConfig:
    due_within_s: float = 4 * 3600.0  # promised to the caller: "we will call you back today"
    max_attempts: int = 3  # calls that nobody answered before the request is failed


DEFAULTS = CallbackConfig()


@dataclass(frozen=True)
class Callback:
    number: str
    department: str
    created_at: float
    due_at: float
    status: CallbackStatus = "pending"
    attempts: int = 0
    agent_id: str | None = None
    note: str = ""


@dataclass(frozen=True)
class CallbackError:
    reason: str


def new_callback(number: str, department: str, now: float,
                 config: CallbackConfig = DEFAULTS) -> Callback:
    return Callback(number, department, now, now + config.due_within_s)


def take(cb: Callback, agent_id: str) -> Callback | CallbackError:
    if cb.status != "pending":
        return CallbackError(f"callback is {cb.status}" + (
            f" by {cb.agent_id}" if cb.status == "taken" else ""))
    return replace(cb, status="taken", agent_id=agent_id)


def release(cb: Callback, agent_id: str) -> Callback | CallbackError:
    if cb.status != "taken" or cb.agent_id != agent_id:
        return CallbackError(f"callback is not taken by {agent_id}")
    return replace(cb, status="pending", agent_id=None)


def may_call(cb: Callback, agent_id: str) -> CallbackError | None:
    """Only the agent who took a callback calls the citizen back (no two agents ringing one
    citizen at once)."""
    if cb.status != "taken" or cb.agent_id != agent_id:
        return CallbackError(f"callback is not taken by {agent_id}: take it first")
    return None


def record_outcome(cb: Callback, agent_id: str, outcome: str, note: str = "",
                   config: CallbackConfig = DEFAULTS) -> Callback | CallbackError:
    """What the agent's call back came to. No answer puts it back in the list until
    `max_attempts` calls went unanswered."""
    if cb.status != "taken" or cb.agent_id != agent_id:
        return CallbackError(f"callback is not taken by {agent_id}")
    note = note or cb.note
    if outcome == "done":
        return replace(cb, status="done", note=note)
    if outcome == "failed":
        return replace(cb, status="failed", note=note)
    if outcome == "no-answer":
        attempts = cb.attempts + 1
        if attempts >= config.max_attempts:
            return replace(cb, status="failed", attempts=attempts, note=note)
        return replace(cb, status="pending", attempts=attempts, agent_id=None, note=note)
    return CallbackError(f"unknown outcome {outcome!r}: done, no-answer or failed")


def is_overdue(cb: Callback, now: float) -> bool:
    return cb.status in OPEN_STATUSES and now > cb.due_at
