"""A callback request's life (ivr/contact/callbacks.py): take, outcome, attempts, overdue."""

from __future__ import annotations

from ivr.contact.callbacks import (
    Callback,
    CallbackConfig,
    CallbackError,
    is_overdue,
    new_callback,
    record_outcome,
    release,
    take,
)

CFG = CallbackConfig(due_within_s=3600.0, max_attempts=2)


def _taken(agent: str = "a1") -> Callback:
    cb = take(new_callback("13800000000", "hrss", 1000.0, CFG), agent)
    assert isinstance(cb, Callback)
    return cb


def test_taken_then_done() -> None:
    cb = new_callback("13800000000", "hrss", 1000.0, CFG)
    assert (cb.status, cb.due_at, cb.attempts) == ("pending", 4600.0, 0)
    done = record_outcome(_taken(), "a1", "done", "已解答", CFG)
    assert isinstance(done, Callback) and (done.status, done.note) == ("done", "已解答")


def test_no_answer_goes_back_to_the_list_until_max_attempts() -> None:
    first = record_outcome(_taken(), "a1", "no-answer", "", CFG)
    assert isinstance(first, Callback)
    assert (first.status, first.attempts, first.agent_id) == ("pending", 1, None)
    again = take(first, "a2")
    assert isinstance(again, Callback)
    second = record_outcome(again, "a2", "no-answer", "无人接听", CFG)
    assert isinstance(second, Callback) and (second.status, second.attempts) == ("failed", 2)


def test_one_agent_at_a_time_and_only_the_holder_closes_it() -> None:
    cb = _taken("a1")
    assert take(cb, "a2") == CallbackError("callback is taken by a1")
    assert record_outcome(cb, "a2", "done") == CallbackError("callback is not taken by a2")
    assert release(cb, "a2") == CallbackError("callback is not taken by a2")
    released = release(cb, "a1")
    assert isinstance(released, Callback) and released.status == "pending"
    assert record_outcome(cb, "a1", "maybe") == CallbackError(
        "unknown outcome 'maybe': done, no-answer or failed")
    done = record_outcome(cb, "a1", "failed", "空号")
    assert isinstance(done, Callback) and take(done, "a1") == CallbackError("callback is failed")


def test_overdue_while_open_only() -> None:
    cb = new_callback("13800000000", "hrss", 1000.0, CFG)
    assert not is_overdue(cb, 4600.0) and is_overdue(cb, 4600.5)
    assert is_overdue(_taken(), 5000.0)
    done = record_outcome(_taken(), "a1", "done", "", CFG)
    assert isinstance(done, Callback) and not is_overdue(done, 99999.0)
