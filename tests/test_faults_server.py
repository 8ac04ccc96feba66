"""Faults over a real server (issue 11 item 5): the PostgreSQL database goes away mid-call,
and a platform connection drops without a close frame mid-utterance.

Real `ivr serve` processes with the real recognizer; the database outage is a real one (new
connections refused, the server's own killed with pg_terminate_backend), the dropped
connection a TCP connection aborted under the socket. The same faults in-process, with the
fakes, are in tests/test_faults.py.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import websockets
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ivr.store import CallStore
from tests.conftest import RunningServer, launch_server, stop_server
from tests.services import POSTGRES_ADMIN_URL
from tests.test_e2e import RawTwilio, _clip

pytestmark = pytest.mark.e2e


def _set_outage(database: str, down: bool) -> None:
    """Refuse new connections to `database` and kill the open ones (or allow them again)."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS '
                              f'{"false" if down else "true"}'))
            if down:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :name AND pid <> pg_backend_pid()"),
                             {"name": database})
    finally:
        admin.dispose()


def _wait(srv: RunningServer, ready: object, what: str, timeout_s: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        health = srv.get("/healthz")
        if ready(health):  # type: ignore[operator]
            return health
        assert time.monotonic() < deadline, f"{what}: {health}"
        time.sleep(0.1)


async def _keys_during_outage(ws_url: str, database: str) -> str:
    """A call whose database goes away after the greeting; the caller presses 5, then 0
    for a person, and the bot hands the call over."""
    async with websockets.connect(ws_url + "/twilio/media") as ws:
        caller = RawTwilio(ws)
        await caller.start()
        await caller.drain(2.0)  # the greeting
        _set_outage(database, down=True)
        for digit in "50":
            await caller.send({"event": "dtmf", "streamSid": caller.stream_sid,
                               "dtmf": {"track": "inbound_track", "digit": digit}})
            await asyncio.sleep(0.3)
        await caller.drain(15.0)  # the transfer announcement, then the bot closes
        return caller.call_sid


def test_a_postgres_outage_mid_call_loses_nothing(tmp_path: Path, postgres_url: str) -> None:
    database = str(make_url(postgres_url).database)
    proc, srv = launch_server(tmp_path, extra_args=("--database-url", postgres_url),
                              extra_env={"IVR_DB_RETRY_S": "0.5"})
    try:
        call_sid = asyncio.run(_keys_during_outage(srv.ws, database))
        during = _wait(srv, lambda h: h["active_calls"] == 0, "the call did not end")
        assert not during["database"]["available"] and during["database"]["backlog"] >= 3
        with urllib.request.urlopen(srv.http + "/twilio/after-stream",
                                    data=f"CallSid={call_sid}".encode(), timeout=10) as resp:
            assert b"<Enqueue>" in resp.read()  # the transfer, answered from the backlog
        _set_outage(database, down=False)
        after = _wait(srv, lambda h: h["database"]["available"], "the backlog was not written")
        assert after["database"]["dropped"] == 0
        assert after["database"]["written_late"] == after["database"]["buffered"]
        store = CallStore(postgres_url)
        try:
            record = store.get_call(call_sid)
        finally:
            store.close()
    finally:
        _set_outage(database, down=False)
        stop_server(proc)
    assert record is not None
    assert [e["detail"] for e in record["events"] if e["kind"] == "dtmf"] == [
        "5 (out-of-band)", "0 (out-of-band)"]
    assert (record["outcome"], record["transfer_reason"]) == ("transferred", "dtmf")
    assert [(t["dtmf"], bool(t["bot_text"])) for t in record["turns"]] == [("0", True)]
    assert record["events"][-1]["kind"] == "closed"
    assert "call database unavailable" in srv.log() and "call database back" in srv.log()


async def _drop_mid_utterance(ws_url: str) -> str:
    """Speak half a question, then lose the TCP connection: no close frame, no stop."""
    ws = await websockets.connect(ws_url + "/twilio/media")
    caller = RawTwilio(ws)
    await caller.start()
    await caller.drain(2.0)
    clip = _clip("A10_tel8k.wav")
    await caller.media(np.asarray(clip[: len(clip) // 2]), realtime=False)
    await asyncio.sleep(0.2)
    ws.transport.abort()  # the line is gone: RST, no websocket close
    return caller.call_sid


def test_a_connection_dropped_mid_utterance_closes_the_call_and_keeps_the_words(
        tmp_path: Path) -> None:
    """Also: the server logs in JSON (`--log-format json`), the call's lines with its id."""
    proc, srv = launch_server(tmp_path, extra_args=("--log-format", "json"))
    try:
        call_sid = asyncio.run(_drop_mid_utterance(srv.ws))
        record = srv.call_record(call_sid, timeout_s=30.0)
        health = _wait(srv, lambda h: h["active_calls"] == 0, "the call was left running")
        # the outcome is settled first and the `closed` event written after it: on a busy
        # machine the first read of the record can fall between the two
        deadline = time.monotonic() + 10.0
        while record["events"][-1]["kind"] != "closed" and time.monotonic() < deadline:
            time.sleep(0.1)
            record = srv.get(f"/api/calls/{call_sid}")
    finally:
        stop_server(proc)
    assert record["outcome"] == "abandoned" and record["ended_at"] is not None
    assert record["events"][-1] == {**record["events"][-1], "kind": "closed",
                                    "detail": "caller hung up"}
    heard = [t["caller_text"] for t in record["turns"] if t["caller_text"]]
    assert heard, "the words before the drop were decoded and kept"
    assert health["database"]["backlog"] == 0
    # not log records: the banner `ivr serve` prints, and what the neural voice's native
    # library writes straight to its worker process's stderr
    foreign = ("hotline-ivr listening", "INFO: Created TensorFlow Lite")
    lines = [json.loads(line) for line in srv.log().splitlines()
             if line.strip() and not line.startswith(foreign)]
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    ours = [line for line in lines if call_sid in line["message"]
            and not line["logger"].startswith("uvicorn")]  # not the record API's requests
    assert len(ours) >= 3 and all(line.get("call_id") == call_sid for line in ours)
