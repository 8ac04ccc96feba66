"""The contact centre survives a kill: a server SIGKILLed while a caller waits in the desk
queue and an agent holds a callback starts again on the same SQLite file with everything
the API showed before — the agent's account and key, the taken callback with its context —
and the waiting call closed as `interrupted` (not left as a phantom in the queue).

A real server process, a Twilio-format caller replaying recorded phone-band speech, an
agent on a real websocket client.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import websockets

from ivr.contact.callback_store import CallbackStore
from ivr.db.engine import open_engine
from ivr.replay import ReplayClient
from tests.audio_compare import clip_8k
from tests.conftest import launch_server, stop_server
from tests.test_e2e_contact import CALLER_ID, HOTLINE, AgentClient, _new_agent, _request

pytestmark = pytest.mark.e2e
DESK = {"IVR_QUEUE_MODE": "desk", "IVR_OFFER_TIMEOUT_S": "120"}


def _store_callback(db: Path) -> int:
    engine = open_engine(f"sqlite:///{db}")
    try:
        return CallbackStore(engine).create(
            number="13912345678", department="housing_fund", now=time.time(),
            context={"said": ["公积金怎么提取"], "from_number": CALLER_ID})
    finally:
        engine.dispose()


def test_queue_agents_and_callbacks_survive_a_kill_and_restart(tmp_path: Path) -> None:
    proc, srv = launch_server(tmp_path, extra_env=DESK)
    try:
        key = _new_agent(srv, "zhao")
        cb = _store_callback(srv.db_path)
        assert _request(srv, "POST", f"/api/callbacks/{cb}/take", key=key)[0] == 200

        async def waiting_caller_then_kill() -> tuple[str, dict[str, Any]]:
            async with AgentClient(srv, key) as agent:
                caller = ReplayClient(srv.ws, "twilio", from_number=CALLER_ID,
                                      turn_timeout_s=30)
                offer: dict[str, Any] = {}
                with contextlib.suppress(websockets.ConnectionClosed, OSError):
                    async with caller.connected():
                        await caller.wait_quiet()
                        await caller.speak(clip_8k(HOTLINE / "A13_tel8k.wav"))
                        await caller.wait_quiet(since=time.monotonic())
                        await caller.speak(clip_8k(HOTLINE / "A40_tel8k.wav"))  # 转人工
                        offer = await agent.expect("offer")  # waiting, offered, unanswered
                        await _until_queued(srv, caller.call_sid)
                        os.kill(proc.pid, signal.SIGKILL)
                        await asyncio.sleep(1.0)
                return caller.call_sid, offer

        call_sid, offer = asyncio.run(waiting_caller_then_kill())
        proc.wait(timeout=10)
        assert offer["call_id"] == call_sid

        port = int(srv.http.rsplit(":", 1)[1])
        proc, srv = launch_server(tmp_path, extra_env=DESK, port=port)
        record = srv.get(f"/api/calls/{call_sid}")
        assert record["outcome"] == "interrupted" and record["ended_at"] is not None
        assert "queued" in [e["kind"] for e in record["events"]]
        assert record["queued_at"] is not None

        status, agents = _request(srv, "GET", "/api/agents")
        assert status == 200 and [a["agent_id"] for a in agents] == ["zhao"]
        status, callbacks = _request(srv, "GET", "/api/callbacks", key=key)  # the old key
        assert status == 200
        kept = next(c for c in callbacks if c["id"] == cb)
        assert kept["status"] == "taken" and kept["agent_id"] == "zhao"
        assert kept["context"]["said"] == ["公积金怎么提取"]
        status, queues = _request(srv, "GET", "/api/queues", key=key)
        fund = next(q for q in queues if q["department"] == "housing_fund")
        assert status == 200 and fund["waiting"] == 0  # no phantom caller
        status, done = _request(srv, "POST", f"/api/callbacks/{cb}/outcome",
                                {"outcome": "done", "note": "重启后回电"}, key=key)
        assert status == 200 and done["status"] == "done"
    finally:
        stop_server(proc)


async def _until_queued(srv: Any, call_sid: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        record = await asyncio.to_thread(_record_or_none, srv, call_sid)
        if record and record.get("queued_at"):
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the waiting call never reached the database")


def _record_or_none(srv: Any, call_sid: str) -> dict[str, Any] | None:
    try:
        return srv.get(f"/api/calls/{call_sid}")  # type: ignore[no-any-return]
    except OSError:
        return None
