"""Callback requests in the database (ivr/contact/callback_store.py), on SQLite and on a real
PostgreSQL: the rules hold across transactions, and two agents racing for one callback on
separate connections never both get it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ivr.contact.callback_store import CallbackNotFound, CallbackStore
from ivr.contact.callbacks import CallbackConfig, CallbackError
from ivr.store import CallStore

T0 = 1_700_000_000.0


@pytest.fixture(params=["sqlite", "postgresql"])
def callbacks(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[CallbackStore]:
    target = (tmp_path_factory.mktemp("cb") / "calls.sqlite3" if request.param == "sqlite"
              else request.getfixturevalue("postgres_url"))
    calls = CallStore(target)  # migrates
    calls.start_call("CA1", stream_sid="MZ", protocol="twilio", from_number="+8613800000000",
                     to_number="12333", started_at=T0, parameters={})
    yield CallbackStore(calls.engine, CallbackConfig(due_within_s=600, max_attempts=2))
    calls.close()


def test_a_callback_is_stored_with_its_context_taken_and_completed(
        callbacks: CallbackStore) -> None:
    cid = callbacks.create(number="13800000000", department="hrss", now=T0, call_sid="CA1",
                           context={"said": "我的养老金怎么没到账", "intent": "pension_payment"})
    got = callbacks.get(cid, T0 + 1)
    assert (got["status"], got["due_at"], got["overdue"]) == ("pending", T0 + 600, False)
    assert got["context"]["said"] == "我的养老金怎么没到账" and got["call_sid"] == "CA1"
    assert callbacks.get(cid, T0 + 601)["overdue"] is True
    taken = callbacks.take(cid, "a1", T0 + 2)
    assert isinstance(taken, dict) and taken["agent_id"] == "a1"
    assert callbacks.take(cid, "a2", T0 + 3) == CallbackError("callback is taken by a1")
    done = callbacks.record_outcome(cid, "a1", "done", "已回电解答", T0 + 60)
    assert isinstance(done, dict) and (done["status"], done["note"]) == ("done", "已回电解答")
    assert callbacks.list(T0 + 61) == []
    assert [c["id"] for c in callbacks.list(T0 + 61, statuses=["done"])] == [cid]
    with pytest.raises(CallbackNotFound):
        callbacks.get(cid + 1000, T0)


def test_unanswered_callbacks_come_back_then_fail(callbacks: CallbackStore) -> None:
    cid = callbacks.create(number="13800000000", department="tax", now=T0)
    assert callbacks.claim_next("a1", ["hrss"], T0) is None  # not their skill
    first = callbacks.claim_next("a1", ["tax"], T0)
    assert first is not None and first["id"] == cid
    callbacks.record_outcome(cid, "a1", "no-answer", "", T0 + 10)
    assert [(c["status"], c["attempts"]) for c in callbacks.list(T0 + 11)] == [("pending", 1)]
    callbacks.take(cid, "a2", T0 + 20)
    final = callbacks.record_outcome(cid, "a2", "no-answer", "两次无人接听", T0 + 30)
    assert isinstance(final, dict) and (final["status"], final["attempts"]) == ("failed", 2)


def test_two_agents_racing_for_one_callback_never_both_get_it(
        callbacks: CallbackStore) -> None:
    for n in range(5):
        callbacks.create(number=f"1380000000{n}", department="hrss", now=T0 + n)
    claimed: dict[str, list[int]] = {"a1": [], "a2": []}
    barrier = threading.Barrier(2)

    def agent(name: str) -> None:
        barrier.wait()
        while (got := callbacks.claim_next(name, ["hrss"], T0 + 100)) is not None:
            claimed[name].append(got["id"])

    threads = [threading.Thread(target=agent, args=(name,)) for name in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    every = claimed["a1"] + claimed["a2"]
    assert sorted(every) == sorted(set(every)) and len(every) == 5
