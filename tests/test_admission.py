"""Admission control (issue 11): with `IVR_MAX_CALLS` calls in progress a real server turns
new calls away at the door — `/twilio/voice` answers a busy message and `<Hangup/>`, a media
socket hears the recorded busy prompt and is closed with 1013 (try again later) and its reason
(one that never starts is closed at once) — while the call in progress goes
on answering its caller; once it ends, the next call is taken again."""

from __future__ import annotations

import asyncio
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import numpy as np
import pytest
import websockets

from ivr.replay import ReplayClient
from ivr.twiml import BUSY_TEXT, busy_twiml
from tests.audio_compare import clip_8k
from tests.conftest import FIXTURES, RunningServer, launch_server, stop_server

pytestmark = pytest.mark.e2e
HOTLINE = FIXTURES / "hotline"


def test_busy_twiml_says_so_and_hangs_up() -> None:
    root = ET.fromstring(busy_twiml())
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert root[0].text == BUSY_TEXT and root[0].get("language")


@pytest.fixture(scope="module")
def one_line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    proc, srv = launch_server(tmp_path_factory.mktemp("admission"),
                              extra_env={"IVR_MAX_CALLS": "1"})
    yield srv
    stop_server(proc)


def _voice_webhook(srv: RunningServer) -> str:
    req = urllib.request.Request(srv.http + "/twilio/voice", data=b"CallSid=CA1&From=%2B861",
                                 method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read().decode()


async def _refused_socket(srv: RunningServer) -> tuple[int | None, str | None]:
    async with websockets.connect(srv.ws + "/twilio/media") as ws:
        try:
            await asyncio.wait_for(ws.recv(), 10)
        except websockets.ConnectionClosed:
            pass
        await ws.wait_closed()
        return ws.close_code, ws.close_reason


async def _turned_away_caller(srv: RunningServer) -> np.ndarray:
    """A caller whose platform streams to us at the limit: what they heard before the close."""
    caller = ReplayClient(srv.ws, "twilio", turn_timeout_s=30)
    async with caller.connected():
        deadline = time.monotonic() + 15
        while not caller.closed and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        assert caller.closed, "the server kept a call it had no line for"
    return caller.bot_audio()


def test_at_the_limit_new_calls_are_refused_and_the_call_in_progress_is_served(
        one_line: RunningServer) -> None:
    assert "<Connect" in _voice_webhook(one_line)  # a free line: the call is streamed

    async def scenario() -> tuple[ReplayClient, str, tuple[int | None, str | None],
                                  np.ndarray]:
        caller = ReplayClient(one_line.ws, "twilio", turn_timeout_s=30)
        async with caller.connected():
            await caller.wait_quiet()  # the greeting
            busy = await asyncio.to_thread(_voice_webhook, one_line)
            refused = await _refused_socket(one_line)
            heard = await _turned_away_caller(one_line)
            await caller.speak(clip_8k(HOTLINE / "A13_tel8k.wav"))  # a question, answered
            await caller.wait_quiet(since=time.monotonic())
        return caller, busy, refused, heard

    caller, busy, (code, reason), heard = asyncio.run(scenario())
    # a platform that streams straight to us hears the busy prompt before the line drops
    rms = float(np.sqrt(np.mean(heard.astype(np.float64) ** 2))) if len(heard) else 0.0
    assert len(heard) > 8000 and rms > 300, (len(heard), rms)
    assert "<Hangup/>" in busy and BUSY_TEXT in busy and "<Connect" not in busy
    assert code == 1013 and reason and "line busy" in reason
    record = one_line.call_record(caller.call_sid)
    answered = [t for t in record["turns"] if t["caller_text"] and t["bot_text"]]
    assert record["ended_at"] and answered, record["turns"]  # the question got its answer
    assert one_line.get("/healthz")["refused"]["line_busy"] == 3
    deadline = time.monotonic() + 10  # the line is free again once the call has ended
    while "<Connect" not in _voice_webhook(one_line):
        assert time.monotonic() < deadline, "the line stayed busy after the call ended"
        time.sleep(0.2)


def test_healthz_shows_the_call_limit(one_line: RunningServer) -> None:
    import json

    with urllib.request.urlopen(one_line.http + "/healthz", timeout=10) as resp:
        assert json.loads(resp.read())["max_calls"] == 1

