"""A server killed with calls in flight closes them as `interrupted` when it starts again.

Real server processes, a real Twilio-format socket, SIGKILL (no shutdown code runs), then a
restart on the same database: SQLite file by default, and a real PostgreSQL server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import websockets

from ivr.store import CallStore
from tests.conftest import launch_server, stop_server
from tests.test_e2e import RawTwilio

pytestmark = pytest.mark.e2e


async def _call_in_flight(ws_url: str, store: CallStore, killed: asyncio.Event) -> str:
    """Start a call, speak a little, and stay on the line until the server is killed."""
    async with websockets.connect(ws_url + "/twilio/media") as ws:
        caller = RawTwilio(ws)
        await caller.start()
        await caller.send({"event": "dtmf", "streamSid": caller.stream_sid,
                           "dtmf": {"track": "inbound_track", "digit": "5"}})
        await caller.media(np.zeros(8000, dtype=np.float32))  # a second of line noise
        deadline = time.monotonic() + 20
        while (record := store.get_call(caller.call_sid)) is None or not record["events"]:
            assert time.monotonic() < deadline, "the call never reached the database"
            await asyncio.sleep(0.1)
        killed.set()
        try:
            await caller.drain(10.0)  # the socket dies with the server
        except websockets.ConnectionClosed:
            pass
        return caller.call_sid


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_calls_open_at_a_kill_are_closed_as_interrupted_on_restart(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    args: tuple[str, ...] = ()
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
        args = ("--database-url", url)
    proc, srv = launch_server(tmp_path, extra_args=args)
    store = CallStore(url if backend == "postgresql" else srv.db_path)
    try:
        killed = asyncio.Event()

        async def scenario() -> str:
            call = asyncio.create_task(_call_in_flight(srv.ws, store, killed))
            await killed.wait()
            os.kill(proc.pid, signal.SIGKILL)
            return await call

        call_sid = asyncio.run(scenario())
        proc.wait(timeout=10)
        left = store.get_call(call_sid)
        assert left is not None and left["outcome"] is None  # nothing closed it at the kill

        # The same worker again: on PostgreSQL a worker closes only its own calls, and its
        # default name is host:port.
        port = int(srv.http.rsplit(":", 1)[1])
        proc, srv = launch_server(tmp_path, extra_args=args, port=port)
        record = store.get_call(call_sid)
        assert record is not None and record["outcome"] == "interrupted"
        assert record["ended_at"] is not None and record["ended_at"] >= record["started_at"]
        assert [e["kind"] for e in record["events"]][:1] == ["dtmf"]  # kept what it had
        assert "closed 1 call(s) left open" in srv.log()
    finally:
        store.close()
        stop_server(proc)
