"""Faults inside a call (issue 11 item 5): whatever breaks, the caller gets a safe outcome and
the record keeps everything.

In-process through the real app (tests/inprocess.py), with fakes only where the real part
cannot be made to fail on demand: a recognizer that raises or never returns, a voice that
hangs. A crashing recognizer and matcher are in tests/test_calls_inprocess.py; the database
outage and dropped connections over a real server are in tests/test_faults_server.py.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from dialog.kbholder import KnowledgeBaseHolder
from ivr.store import CallStore
from tests.fakes import ScriptedEngine
from tests.inprocess import (
    TwilioCaller,
    app_with_fakes,
    caller_speech,
    shared_kb_holder,
)

LOST_CARD = "社保卡丢了怎么补办"


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return shared_kb_holder()


def _record(client: TestClient, sid: str) -> dict[str, Any]:
    response = client.get(f"/api/calls/{sid}")
    assert response.status_code == 200
    record: dict[str, Any] = response.json()
    return record


# ---- the recognizer ---------------------------------------------------------------------------


def test_a_hung_recognizer_times_out_into_an_apology_and_a_transfer(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    engine = ScriptedEngine([ScriptedEngine.HANG])
    try:
        with app_with_fakes(tmp_path, holder, engine=engine, asr_timeout_s=5.0) as (
                client, world):
            prompts = holder.current.kb.prompts
            with client.websocket_connect("/twilio/media") as ws:
                caller = TwilioCaller(ws, world, "CAhung")
                caller.dial()
                caller.speak(caller_speech(seconds=2.0))  # its decode never returns
                world.clock.wait_for_timer(5.0)  # the stream's deadline, on the call's clock
                world.clock.advance(5.0)
                assert caller.hear() == prompts["error"]
                caller.hear()  # the transfer announcement
                caller.expect_hang_up()
            record = _record(client, "CAhung")
    finally:
        engine.release()
    assert (record["outcome"], record["transfer_reason"]) == ("transferred", "error")
    errors = [e["detail"] for e in record["events"] if e["kind"] == "asr_error"]
    assert errors == ["scripted recognizer gave no result within 5 s"]
    assert record["events"][-1]["kind"] == "closed"


# ---- the database -----------------------------------------------------------------------------


class FlakyCallStore(CallStore):
    """The real SQLite store, except that every write fails as a locked or unreachable
    database does while `down` is set (reads still work: the test looks at what arrived)."""

    down = False

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        if self.down:
            raise OperationalError("BEGIN IMMEDIATE", {},
                                   sqlite3.OperationalError("database is locked"))
        with super()._tx() as conn:
            yield conn


def _database(client: TestClient) -> dict[str, Any]:
    health: dict[str, Any] = client.get("/healthz").json()["database"]
    return health


def _wait_for_backlog_to_empty(client: TestClient, timeout_s: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while (health := _database(client))["backlog"]:
        assert time.monotonic() < deadline, f"still waiting: {health}"
        time.sleep(0.01)
    return health


def test_a_database_outage_keeps_every_turn_and_the_outcome_for_later(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    store = FlakyCallStore(tmp_path / "calls.sqlite3")
    with app_with_fakes(tmp_path, holder, call_store=store, db_retry_s=2.0) as (client, world):
        kb = holder.current.kb
        prompts = kb.prompts
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAdbdown")
            caller.dial()
            store.down = True  # mid-call: nothing more reaches the database for a while
            caller.ask(LOST_CARD)
            assert caller.hear() == kb.intents["sbk_reissue"].answer  # the call goes on
            assert caller.hear() == prompts["anything_else"]
            caller.ask("转人工", seconds=1.5)
            department = kb.departments[kb.intents["sbk_reissue"].department]
            assert caller.hear() == prompts["transfer"].format(department=department.name)
            caller.expect_hang_up()
        during = _database(client)
        assert not during["available"] and during["backlog"] >= 5 and during["outages"] == 1
        assert "ivr_db_backlog " in client.get("/metrics").text
        waiting = store.get_call("CAdbdown")
        assert waiting is not None and waiting["turns"] == [] and waiting["outcome"] is None
        # the platform asks where the caller goes before the database is back
        twiml = client.post("/twilio/after-stream", data={"CallSid": "CAdbdown"}).text
        assert f"<Enqueue>{department.queue}</Enqueue>" in twiml

        world.clock.advance(2.0)  # a retry while still down: everything stays queued
        time.sleep(0.05)
        assert _database(client)["backlog"] == during["backlog"]
        store.down = False
        world.clock.advance(2.0)  # the next retry gets through
        after = _wait_for_backlog_to_empty(client)
        record = client.get("/api/calls/CAdbdown").json()
    assert after["available"] and after["dropped"] == 0
    assert after["written_late"] == after["buffered"] >= during["backlog"]
    assert [(t["caller_text"], t["intent"]) for t in record["turns"] if t["caller_text"]] == [
        (LOST_CARD, "sbk_reissue"), ("转人工", "human_agent")]
    answered = record["turns"][0]
    assert answered["bot_text"].startswith(kb.intents["sbk_reissue"].answer)
    assert answered["reply_started_at"] is not None  # its rewrite, made in the outage too
    assert (record["outcome"], record["transfer_reason"]) == ("transferred", "caller_request")
    assert record["events"][-1]["kind"] == "closed"
    assert [e["seq"] for e in record["events"]] == list(range(len(record["events"])))


def test_a_full_backlog_drops_and_counts_instead_of_growing(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    store = FlakyCallStore(tmp_path / "calls.sqlite3")
    with app_with_fakes(tmp_path, holder, call_store=store, db_backlog_max=3) as (
            client, world):
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAfull")
            caller.dial()
            store.down = True
            for digit in "123456":
                caller.press(digit)
            caller.press("0")  # to a person: the call still ends properly
            caller.hear()
            caller.expect_hang_up()
        health = _database(client)
        assert health["backlog"] == 3 and health["dropped"] > 0
        assert world.app is not None
        assert "ivr_db_delayed_writes_total{state=\"dropped\"}" in client.get("/metrics").text
        store.down = False
        world.clock.advance(2.0)
        _wait_for_backlog_to_empty(client)
    record = store.get_call("CAfull")
    assert record is not None
    assert [e["detail"] for e in record["events"] if e["kind"] == "dtmf"] == [
        "1 (out-of-band)", "2 (out-of-band)", "3 (out-of-band)"]  # the oldest are kept
