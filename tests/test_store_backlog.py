"""The write backlog that keeps call records through a database outage (ivr.store_backlog),
and `AsyncCallStore` writing through one: order kept, turns rewritten before and after they
reach the database, bounded. Whole calls through an outage are in tests/test_faults.py."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from ivr.store import CallStore, TurnRecord
from ivr.store_async import AsyncCallStore
from ivr.store_backlog import PendingWrite, WriteBacklog, is_unavailable

T0 = 1_767_225_600.0


def turn(text: str) -> TurnRecord:
    return TurnRecord(text, None, 0.0, None, "none", "", T0, None, None, None, None, None)


def test_only_connection_level_errors_are_worth_waiting_for() -> None:
    locked = OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    assert is_unavailable(locked)
    assert not is_unavailable(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_unavailable(ValueError("unknown outcome"))


def test_the_backlog_tickets_turns_merges_their_rewrites_and_is_bounded() -> None:
    backlog = WriteBacklog(limit=3)
    added = backlog.add(PendingWrite("add_turn", "CA1", (turn("a"),)))
    assert added.ticket == -1
    backlog.add(PendingWrite("replace_turn", "CA1", (-1, turn("a, answered"))))
    assert len(backlog) == 1  # the rewrite went into the waiting add
    waiting = backlog.first()
    assert waiting is not None and waiting.args[0].caller_text == "a, answered"
    backlog.add(PendingWrite("set_transfer", "CA1", ("hrss", "q-hrss", "dtmf")))
    backlog.add(PendingWrite("set_queue", "CA1", (), {"transfer_target": "sip:li"}))
    backlog.add(PendingWrite("add_event", "CA1", ("closed", "x", T0)))  # over the limit
    assert backlog.snapshot() == {"backlog": 3, "backlog_limit": 3, "buffered": 3,
                                  "written_late": 0, "dropped": 1, "outages": 1}
    assert backlog.transfer_for("CA1") == {"department": "hrss", "queue": "q-hrss",
                                           "reason": "dtmf", "target": "sip:li"}
    assert backlog.transfer_for("CA2") is None
    backlog.written(backlog.first(), 7)  # type: ignore[arg-type]
    assert backlog.index_of(-1) == 7 and backlog.index_of(3) == 3 and backlog.index_of(-2) is None


class FlakyCallStore(CallStore):
    down = False

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        if self.down:
            raise OperationalError("BEGIN", {}, ConnectionRefusedError("server is down"))
        with super()._tx() as conn:
            yield conn


class ManualClock:
    """Retries fire only when the test says so."""

    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []

    def monotonic(self) -> float:
        return 0.0

    def time(self) -> float:
        return T0

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        self.pending.append(callback)
        return asyncio.get_running_loop().call_later(3600, lambda: None)


def test_writes_through_an_outage_arrive_in_order_with_their_rewrites(tmp_path: Path) -> None:
    flaky = FlakyCallStore(tmp_path / "calls.sqlite3")
    clock = ManualClock()

    async def main() -> tuple[list[int], int]:
        store = AsyncCallStore(flaky, retry_s=1.0, clock=clock)
        await store.start_call("CA1", stream_sid="MZ", protocol="twilio", from_number="a",
                               to_number="b", started_at=T0, parameters={})
        first = await store.add_turn("CA1", turn("t0"))
        flaky.down = True
        idxs = list(await asyncio.gather(*(store.add_turn("CA1", turn(f"t{i}"))
                                           for i in range(1, 6))))
        await asyncio.gather(*(store.add_event("CA1", "k", str(i), T0 + i) for i in range(20)))
        await store.replace_turn("CA1", first, turn("t0 rewritten"))
        await store.replace_turn("CA1", idxs[0], turn("t1 rewritten"))
        await store.record_outcome("CA1", outcome="answered", ended_at=T0 + 60, reason="x")
        assert clock.pending, "a retry was scheduled"
        flaky.down = False
        clock.pending.pop()()  # the retry fires and writes everything
        assert await store.flush() == 0  # (runs after it on the store's one thread)
        await store.replace_turn("CA1", idxs[1], turn("t2 rewritten after"))  # ticket → row
        await store.close()
        return [first, *idxs], store.backlog.counts.dropped

    idxs, dropped = asyncio.run(main())
    assert idxs[0] == 0 and all(i < 0 for i in idxs[1:])  # tickets while the database was down
    record = CallStore(tmp_path / "calls.sqlite3").get_call("CA1")
    assert record is not None and dropped == 0
    assert [t["caller_text"] for t in record["turns"]] == [
        "t0 rewritten", "t1 rewritten", "t2 rewritten after", "t3", "t4", "t5"]
    assert [e["detail"] for e in record["events"]] == [str(i) for i in range(20)]
    assert record["outcome"] == "answered"
