"""Tests for ivr/store.py: durable call records (SQLite here; tests/test_store_postgres.py runs
the shared cases on PostgreSQL), sync core, asyncio wrapper, migrations and the restart sweep."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from ivr.db.migrate import SchemaError, head_revision
from ivr.store import (
    CallStore,
    TurnRecord,
    read_unresolved_utterances,
)
from ivr.store_async import AsyncCallStore

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def turn(text: str = "我要查社保", *, at: float = T0 + 1, **kw: object) -> TurnRecord:
    base: dict[str, object] = dict(
        caller_text=text, intent="social_security", score=0.91, department="12333",
        action="answer", bot_text="好的，请稍等", started_at=at, speech_end_at=at + 1.5,
        recognized_at=at + 1.8, reply_started_at=at + 2.0, asr_ms=300.0, latency_ms=500.0,
    )
    base.update(kw)
    return TurnRecord(**base)  # type: ignore[arg-type]


def start(store: CallStore, sid: str = "CA1", **kw: object) -> bool:
    args: dict[str, object] = dict(
        stream_sid="MZ1", protocol="twilio", from_number="+8613800000000", to_number="12345",
        started_at=T0, parameters={"lang": "zh"})
    args.update(kw)
    return store.start_call(sid, **args)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> Iterator[CallStore]:
    """Every test that takes `store` runs on SQLite and on a real PostgreSQL server."""
    target = (":memory:" if request.param == "sqlite"
              else request.getfixturevalue("postgres_url"))
    s = CallStore(target)
    yield s
    s.close()


def test_round_trip(store: CallStore) -> None:
    start(store, parameters={"lang": "zh", "区": "朝阳"})
    assert store.add_turn("CA1", turn("我要查社保")) == 0
    assert store.add_turn("CA1", turn("转人工", at=T0 + 10, barged_in=True, dtmf="0",
                                      confidence=0.4, intent=None, department=None)) == 1
    store.add_event("CA1", "dtmf", "0", T0 + 11)
    store.add_event("CA1", "barge-in", "during prompt", T0 + 12)
    store.set_transfer("CA1", "12333", "social", "caller asked for an agent")
    store.record_outcome("CA1", outcome="transferred", ended_at=T0 + 20, reason="transfer")

    call = store.get_call("CA1")
    assert call is not None
    json.dumps(call)  # JSON-ready
    assert call["stream_sid"] == "MZ1" and call["protocol"] == "twilio"
    assert call["from_number"] == "+8613800000000" and call["to_number"] == "12345"
    assert call["parameters"] == {"lang": "zh", "区": "朝阳"}
    assert call["started_at"] == T0
    assert call["started_at_iso"] == "2023-11-14T22:13:20.000+00:00"
    assert call["ended_at"] == T0 + 20 and call["ended_at_iso"] == "2023-11-14T22:13:40.000+00:00"
    assert (call["outcome"], call["end_reason"]) == ("transferred", "transfer")
    assert call["transfer_department"] == "12333"

    t0, t1 = call["turns"]
    assert t0["idx"] == 0 and t0["caller_text"] == "我要查社保" and t0["barged_in"] is False
    assert t0["speech_end_at"] == T0 + 2.5 and t0["recognized_at_iso"].startswith("2023-11-14T")
    assert t0["asr_ms"] == 300.0 and t0["latency_ms"] == 500.0 and t0["score"] == 0.91
    assert t1["idx"] == 1 and t1["barged_in"] is True and t1["dtmf"] == "0"
    assert t1["intent"] is None and t1["department"] is None and t1["confidence"] == 0.4
    assert [(e["seq"], e["kind"], e["detail"]) for e in call["events"]] == [
        (0, "dtmf", "0"), (1, "barge-in", "during prompt")]
    assert call["events"][0]["at_iso"] == "2023-11-14T22:13:31.000+00:00"

    assert store.transfer_for("CA1") == {
        "department": "12333", "queue": "social", "reason": "caller asked for an agent",
        "target": None}
    store.set_queue("CA1", queued_at=T0, connected_at=T0 + 42.5, agent_id="li",
                    transfer_target="sip:li@pbx")
    queued = store.get_call("CA1")
    assert queued is not None and queued["queue_wait_s"] == 42.5 and queued["agent_id"] == "li"
    assert store.transfer_for("CA1")["target"] == "sip:li@pbx"  # type: ignore[index]


def test_unknown_sid(store: CallStore) -> None:
    assert store.get_call("nope") is None
    assert store.transfer_for("nope") is None
    start(store)
    assert store.transfer_for("CA1") is None  # call exists, no transfer recorded


def test_survives_crash_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "calls.db"  # parent dirs are created
    s = CallStore(path)
    start(s)
    s.add_turn("CA1", turn())
    s.add_event("CA1", "ws-closed", "1006", T0 + 5)
    # Simulated crash: no record_outcome, and a second connection reads while the first is
    # still open, which proves every write was committed on return.
    other = CallStore(path)
    call = other.get_call("CA1")
    assert call is not None and len(call["turns"]) == 1 and len(call["events"]) == 1
    other.close()
    s.close()

    reopened = CallStore(path)
    call = reopened.get_call("CA1")
    assert call is not None
    assert call["outcome"] is None and call["ended_at"] is None and call["ended_at_iso"] is None
    assert call["turns"][0]["caller_text"] == "我要查社保"
    assert call["events"][0]["kind"] == "ws-closed"
    assert reopened.add_turn("CA1", turn("继续")) == 1  # numbering continues after reopen
    reopened.close()


def test_file_db_uses_wal(tmp_path: Path) -> None:
    s = CallStore(tmp_path / "calls.db")
    s.close()
    conn = sqlite3.connect(tmp_path / "calls.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_duplicate_start_keeps_first(store: CallStore) -> None:
    assert store.start_call("CA1", stream_sid="MZ1", protocol="l16", from_number="a",
                            to_number="b", started_at=T0, parameters={"lang": "zh"}) is True
    store.add_event("CA1", "dtmf", "1", T0 + 1)
    # a client-chosen id that is already a call is refused, and the record stays as it was
    assert store.start_call("CA1", stream_sid="MZ2", protocol="twilio", from_number="x",
                            to_number="y", started_at=T0 + 99, parameters={"x": "y"}) is False
    call = store.get_call("CA1")
    assert call is not None
    assert (call["stream_sid"], call["started_at"], call["parameters"]) == (
        "MZ1", T0, {"lang": "zh"})
    assert (call["protocol"], call["from_number"], len(call["events"])) == ("l16", "a", 1)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_racing_starts_for_one_id_have_one_winner(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    # a file, not the in-memory database, whose one shared connection is not for threads
    store = CallStore(tmp_path / "race.sqlite3" if backend == "sqlite"
                      else request.getfixturevalue("postgres_url"))
    barrier = threading.Barrier(8)
    won: list[bool] = []

    def race(n: int) -> None:
        barrier.wait()
        won.append(start(store, "CArace", stream_sid=f"MZ{n}"))

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    assert sorted(won) == [False] * 7 + [True]


def test_first_outcome_wins_but_ended_at_filled(store: CallStore) -> None:
    start(store)
    store.record_outcome("CA1", outcome="abandoned", ended_at=T0 + 5, reason="hangup")
    store.record_outcome("CA1", outcome="error", ended_at=T0 + 9, reason="late error")
    call = store.get_call("CA1")
    assert call is not None
    assert (call["outcome"], call["end_reason"]) == ("abandoned", "hangup")
    assert call["ended_at"] == T0 + 5

    # An outcome without ended_at can't come from the API (record_outcome sets both), so forge one:
    # a later end must keep that outcome yet fill the missing time.
    start(store, "CA2")
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE calls SET outcome='answered', end_reason='bye' WHERE call_sid='CA2'")
    store.record_outcome("CA2", outcome="error", ended_at=T0 + 7, reason="x")
    call = store.get_call("CA2")
    assert call is not None
    assert (call["outcome"], call["end_reason"], call["ended_at"]) == ("answered", "bye", T0 + 7)


def test_bad_outcome_rejected(store: CallStore) -> None:
    start(store)
    with pytest.raises(ValueError):
        store.record_outcome("CA1", outcome="hung-up", ended_at=T0, reason="")


def test_placeholder_for_unknown_call(store: CallStore, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ivr.store"):
        assert store.add_turn("LOST", turn(at=T0 + 3)) == 0
        store.add_event("LOST", "protocol-error", "bad json", T0 + 4)
    assert sum("LOST" in r.getMessage() for r in caplog.records) == 1  # only on creation
    call = store.get_call("LOST")
    assert call is not None
    assert call["stream_sid"] is None and call["started_at"] == T0 + 3
    assert len(call["turns"]) == 1 and call["events"][0]["detail"] == "bad json"
    # A late real start fills the placeholder rather than being ignored as a duplicate.
    assert start(store, "LOST", stream_sid="MZ9", started_at=T0 + 1) is True
    call = store.get_call("LOST")
    assert call is not None and call["stream_sid"] == "MZ9" and call["started_at"] == T0 + 1
    assert len(call["turns"]) == 1


def test_list_calls_newest_first(store: CallStore) -> None:
    for i in range(5):
        start(store, f"CA{i}", started_at=T0 + i)
    store.add_turn("CA3", turn())
    calls = store.list_calls(limit=3)
    assert [c["call_sid"] for c in calls] == ["CA4", "CA3", "CA2"]
    assert calls[1]["turn_count"] == 1 and calls[0]["turn_count"] == 0
    assert calls[0]["parameters"] == {"lang": "zh"} and "turns" not in calls[0]


def test_schema_creation_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    for _ in range(3):
        s = CallStore(path)
        start(s)  # same sid each time: no crash, one row
        s.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"calls", "turns", "events"} <= tables
    assert conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 1
    conn.execute("UPDATE alembic_version SET version_num='9999'")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError, match="newer than this version"):
        CallStore(path)
    with pytest.raises(SchemaError, match="newer than this version"):
        CallStore(path, read_only=True)


class _ThreadSpy(CallStore):
    """Records which thread each write ran on."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.threads: set[int] = set()

    def add_event(self, call_sid: str, kind: str, detail: str, at: float) -> None:
        self.threads.add(threading.get_ident())
        super().add_event(call_sid, kind, detail, at)


def test_async_wrapper_keeps_order_off_loop() -> None:
    spy = _ThreadSpy(":memory:")

    async def one_call(store: AsyncCallStore, sid: str, n: int) -> list[int]:
        await store.start_call(sid, stream_sid="MZ", protocol="l16", from_number="a",
                               to_number="b", started_at=T0, parameters={})
        # Fire all writes at once; the single worker must apply them in submission order.
        idxs = await asyncio.gather(*(store.add_turn(sid, turn(f"t{i}")) for i in range(n)))
        await asyncio.gather(*(store.add_event(sid, "k", str(i), T0 + i) for i in range(n)))
        await store.set_transfer(sid, "12315", "q", "r")
        await store.record_outcome(sid, outcome="transferred", ended_at=T0 + 60, reason="done")
        return list(idxs)

    async def main() -> tuple[list[list[int]], dict | None, dict | None, int, int]:
        store = AsyncCallStore(spy)
        results = list(await asyncio.gather(one_call(store, "A", 30), one_call(store, "B", 20)))
        call = await store.get_call("A")
        transfer = await store.transfer_for("B")
        listed = len(await store.list_calls())
        await store.close()
        return results, call, transfer, listed, threading.get_ident()

    results, call, transfer, listed, loop_thread = asyncio.run(main())
    assert results == [list(range(30)), list(range(20))]
    assert call is not None
    assert [t["caller_text"] for t in call["turns"]] == [f"t{i}" for i in range(30)]
    assert [e["detail"] for e in call["events"]] == [str(i) for i in range(30)]
    assert call["outcome"] == "transferred"
    assert transfer == {"department": "12315", "queue": "q", "reason": "r", "target": None}
    assert listed == 2
    assert len(spy.threads) == 1 and loop_thread not in spy.threads  # one worker, not the loop


def test_async_wrapper_from_path(tmp_path: Path) -> None:
    async def main() -> dict | None:
        store = AsyncCallStore(tmp_path / "a.db")
        await store.add_event("X", "unknown-event", "{}", T0)
        await store.close()
        return CallStore(tmp_path / "a.db").get_call("X")

    call = asyncio.run(main())
    assert call is not None and call["events"][0]["kind"] == "unknown-event"


UNRESOLVED = [  # (caller_text, intent, action)
    ("社保卡密码忘了怎么办", None, "none"),
    ("社保卡的密码忘记了", None, "none"),
    ("社保卡密码忘了怎么办", None, "none"),
    ("社保卡密码怎么重置", None, "clarify"),
    ("养老院怎么申请入住", None, "none"),
    ("养老院的入住条件是什么", None, "none"),
    ("你会唱歌吗", None, "none"),
    ("社保卡丢了怎么补办", "sbk_reissue", "answer"),  # resolved: not a suggestion
    ("是的", "yes", "none"),  # a system intent is resolved too
    ("工地晚上施工", None, "transfer"),  # routed: resolved
    ("", None, "none"),  # a key press
]
HEARD = [  # what `ivr kb suggest` gets: (text, times heard), most heard first
    ("社保卡密码忘了怎么办", 2), ("你会唱歌吗", 1), ("养老院怎么申请入住", 1),
    ("养老院的入住条件是什么", 1), ("社保卡密码怎么重置", 1), ("社保卡的密码忘记了", 1),
]


@pytest.fixture
def heard(tmp_path: Path) -> Path:
    """A call database file holding the turns of UNRESOLVED, closed again."""
    path = tmp_path / "calls.sqlite3"
    store = CallStore(path)
    start(store)
    for n, (text, intent, action) in enumerate(UNRESOLVED):
        store.add_turn("CA1", turn(text, at=T0 + n, intent=intent, action=action))
    store.close()
    return path


def test_unresolved_utterances_most_heard_first(heard: Path) -> None:
    assert read_unresolved_utterances(heard) == HEARD


def test_a_read_only_store_reads_and_never_writes(heard: Path) -> None:
    store = CallStore(heard, read_only=True)
    try:
        assert store.unresolved_utterances() == HEARD
        with pytest.raises(OperationalError, match="readonly"):
            start(store, "CA2")
    finally:
        store.close()
    assert read_unresolved_utterances(heard) == HEARD


def test_a_read_only_store_needs_an_existing_database(tmp_path: Path) -> None:
    missing = tmp_path / "var" / "none.sqlite3"
    with pytest.raises(FileNotFoundError) as caught:
        read_unresolved_utterances(missing)
    assert str(caught.value) == f"{missing}: no call database"
    assert not missing.parent.exists()  # nothing was created


def test_async_wrapper_reads_unresolved_utterances(heard: Path) -> None:
    async def main() -> list[tuple[str, int]]:
        store = AsyncCallStore(CallStore(heard, read_only=True))
        try:
            return await store.unresolved_utterances()
        finally:
            await store.close()

    assert asyncio.run(main()) == HEARD


LEGACY_V1 = """
CREATE TABLE calls (
    call_sid TEXT PRIMARY KEY, stream_sid TEXT, protocol TEXT, from_number TEXT,
    to_number TEXT, parameters TEXT NOT NULL DEFAULT '{}', started_at REAL, ended_at REAL,
    outcome TEXT, end_reason TEXT, transfer_department TEXT, transfer_queue TEXT,
    transfer_reason TEXT);
CREATE TABLE turns (
    call_sid TEXT NOT NULL REFERENCES calls(call_sid), idx INTEGER NOT NULL,
    caller_text TEXT NOT NULL, intent TEXT, score REAL NOT NULL, department TEXT,
    action TEXT NOT NULL, bot_text TEXT NOT NULL, started_at REAL NOT NULL, speech_end_at REAL,
    recognized_at REAL, reply_started_at REAL, asr_ms REAL, latency_ms REAL,
    barged_in INTEGER NOT NULL DEFAULT 0, dtmf TEXT, confidence REAL,
    PRIMARY KEY (call_sid, idx));
CREATE TABLE events (
    call_sid TEXT NOT NULL REFERENCES calls(call_sid), seq INTEGER NOT NULL,
    kind TEXT NOT NULL, detail TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (call_sid, seq));
CREATE INDEX calls_started ON calls(started_at);
INSERT INTO calls (call_sid, stream_sid, protocol, from_number, to_number, parameters,
    started_at, ended_at, outcome, end_reason)
    VALUES ('OLD1', 'MZ', 'twilio', '+86138', '12345', '{"a": "b"}', 1700000000.0,
            1700000030.0, 'answered', 'goodbye');
INSERT INTO turns VALUES ('OLD1', 0, '我要查社保', 'x', 0.9, 'hrss', 'answer', '好的',
    1700000001.0, NULL, NULL, NULL, NULL, NULL, 1, NULL, NULL);
INSERT INTO events VALUES ('OLD1', 0, 'dtmf', '1', 1700000002.0);
PRAGMA user_version=1;
"""


def test_a_database_from_before_migrations_migrates_forward(tmp_path: Path) -> None:
    """A call database the SQLite-only store wrote (schema v1) keeps every record, gains the
    new columns, and is read as before; a reader refuses it until the server migrated it."""
    path = tmp_path / "ivr.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(LEGACY_V1)
    conn.close()
    with pytest.raises(SchemaError, match="ivr db upgrade"):
        CallStore(path, read_only=True)

    store = CallStore(path)
    old = store.get_call("OLD1")
    assert old is not None and old["outcome"] == "answered" and old["parameters"] == {"a": "b"}
    assert old["turns"][0]["caller_text"] == "我要查社保" and old["turns"][0]["barged_in"] is True
    assert old["events"][0]["detail"] == "1" and old["worker"] is None
    assert store.add_turn("OLD1", turn("还有")) == 1
    start(store, "NEW1")
    store.close()
    assert CallStore(path, read_only=True).get_call("NEW1") is not None


def test_a_restart_closes_the_calls_it_left_open(store: CallStore) -> None:
    start(store, "LIVE")
    store.add_turn("LIVE", turn(at=T0 + 3))
    store.add_event("LIVE", "mark", "reply-1", T0 + 7)
    start(store, "DONE")
    store.record_outcome("DONE", outcome="answered", ended_at=T0 + 9, reason="goodbye")
    other = CallStore(store.engine, worker="worker-b")  # another server on the same database
    start(other, "THEIRS")

    assert store.sweep_interrupted(now=T0 + 1000) == ["LIVE"]
    live = store.get_call("LIVE")
    assert live is not None and live["outcome"] == "interrupted"
    assert live["ended_at"] == T0 + 7  # the last thing recorded, not the restart time
    assert "stopped during the call" in live["end_reason"]
    done, theirs = store.get_call("DONE"), store.get_call("THEIRS")
    assert done is not None and done["outcome"] == "answered"
    assert theirs is not None and theirs["outcome"] is None  # not this worker's call
    assert store.sweep_interrupted(now=T0 + 2000) == []  # nothing left to close
