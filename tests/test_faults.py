"""Faults inside a call (issue 11 item 5): whatever breaks, the caller gets a safe outcome and
the record keeps everything.

In-process through the real app (tests/inprocess.py), with fakes only where the real part
cannot be made to fail on demand: a recognizer that raises or never returns, a voice that
hangs. A crashing recognizer and matcher are in tests/test_calls_inprocess.py; the database
outage and dropped connections over a real server are in tests/test_faults_server.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from dialog.kbholder import KnowledgeBaseHolder
from tests.fakes import ScriptedEngine
from tests.inprocess import TwilioCaller, app_with_fakes, caller_speech, shared_kb_holder


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
