"""The contact centre end to end: a real server (Whisper, the voice chain, SQLite) with
`IVR_QUEUE_MODE=desk`, a Twilio-format caller replaying recorded phone-band speech in real
time, and an agent on a real websocket client (`WS /agent/ws`) with their own API key.

1. A caller asks for a person, hears their place and the wait, is offered to the agent with
   what they said, and once the agent accepts each side hears the other's audio; the agent
   hangs up and writes a wrap-up note; the record shows it all.
2. With nobody on duty, a caller says "不等了，回电话给我吧", confirms the read-back number
   with 1, and the callback waits in the API until an agent takes it and marks it done.
3. A queue in `dial` mode: once the agent accepts, the bot hands the call to Twilio, whose
   `<Connect action>` then answers `<Dial action><Sip>` to the agent's address; the agent
   stays in the conversation until Twilio reports the dialled call's end.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import websockets

from ivr.replay import ReplayClient
from tests.audio_compare import clip_8k, similarity
from tests.conftest import ADMIN_HEADERS, FIXTURES, RunningServer, launch_server, stop_server

HOTLINE = FIXTURES / "hotline"
CONTACT = FIXTURES / "contact"
CALLER_ID = "+8613912345678"
FRAME = 160  # 20 ms at 8 kHz


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("contact")
    proc, server = launch_server(tmp, extra_env={"IVR_QUEUE_MODE": "desk",
                                                 "IVR_QUEUE_MODES": "hrss=dial",
                                                 "IVR_HOLD_ANNOUNCE_S": "8"})
    try:
        yield server
    finally:
        stop_server(proc)


class AgentClient:
    """An agent's desk as a websocket client: JSON messages and binary caller audio."""

    def __init__(self, server: RunningServer, key: str) -> None:
        self.url = f"{server.ws}/agent/ws"
        self.key = key
        self.messages: list[dict[str, Any]] = []
        self.audio: list[bytes] = []
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> AgentClient:
        self._ws = await websockets.connect(
            self.url, additional_headers={"Authorization": f"Bearer {self.key}"})
        self._reader = asyncio.create_task(self._read())
        await self.expect("welcome")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._ws.close()
        if self._reader:
            self._reader.cancel()

    async def _read(self) -> None:
        async for message in self._ws:
            if isinstance(message, bytes):
                self.audio.append(message)
            else:
                self.messages.append(json.loads(message))

    async def send(self, **message: Any) -> None:
        await self._ws.send(json.dumps(message))

    async def expect(self, kind: str, timeout_s: float = 60.0, **fields: Any) -> dict[str, Any]:
        """The first message of `kind` (with these `fields`), removed from those received."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for m in self.messages:
                if m["type"] == kind and all(m.get(k) == v for k, v in fields.items()):
                    self.messages.remove(m)
                    return m
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {kind!r} message within {timeout_s} s: {self.messages}")

    async def talk(self, clip: np.ndarray) -> None:
        """The agent's microphone: `clip` in 20 ms frames, in real time."""
        for i in range(0, len(clip), FRAME):
            await self._ws.send(clip[i:i + FRAME].astype("<i2").tobytes())
            await asyncio.sleep(0.02)

    def heard(self) -> np.ndarray:
        return np.frombuffer(b"".join(self.audio), "<i2")


def _request(server: RunningServer, method: str, path: str, body: object = None,
             key: str | None = None) -> tuple[int, Any]:
    import urllib.error
    import urllib.request
    headers = {"Authorization": f"Bearer {key}"} if key else dict(ADMIN_HEADERS)
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    req = urllib.request.Request(server.http + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _new_agent(server: RunningServer, agent_id: str, department: str = "housing_fund",
               dial_target: str | None = None) -> str:
    status, body = _request(server, "POST", "/api/agents",
                            {"agent_id": agent_id, "name": "李敏", "skills": [department],
                             "dial_target": dial_target})
    assert status == 201, body
    return str(body["key"])


def _bot_texts(record: dict[str, Any]) -> str:
    return " ".join(t.get("bot_text") or "" for t in record["turns"])


def test_a_caller_who_asks_for_a_person_is_connected_and_both_hear_each_other(
        desk_server: RunningServer) -> None:
    key = _new_agent(desk_server, "li")
    agent_voice = clip_8k(HOTLINE / "A34_tel8k.wav")
    caller_voice = clip_8k(HOTLINE / "A31_tel8k.wav")

    async def call() -> tuple[ReplayClient, dict[str, Any], dict[str, Any]]:
        async with AgentClient(desk_server, key) as agent:
            caller = ReplayClient(desk_server.ws, "twilio", from_number=CALLER_ID,
                                  turn_timeout_s=30)
            async with caller.connected():
                await caller.wait_quiet()  # the greeting
                await caller.speak(clip_8k(HOTLINE / "A13_tel8k.wav"))  # 公积金 question
                await caller.wait_quiet(since=time.monotonic())
                await caller.speak(clip_8k(HOTLINE / "A40_tel8k.wav"))  # 转人工
                offer = await agent.expect("offer")
                await asyncio.sleep(6)  # the caller hears the transfer and their place
                await agent.send(type="accept", call_id=offer["call_id"])
                connected = await agent.expect("connected")
                await asyncio.sleep(3.5)  # "已为您接通人工服务，请讲。"
                await asyncio.gather(agent.talk(agent_voice), caller.speak(caller_voice))
                await asyncio.sleep(1.0)
                assert similarity(agent.heard(), caller_voice) > 0.8
                assert similarity(caller.bot_audio(), agent_voice) > 0.8
                await agent.send(type="hangup")
                ended = await agent.expect("call_ended")
                assert ended["call_id"] == caller.call_sid
                await agent.send(type="wrapup", note="已告知公积金提取材料")
                await agent.expect("status", status="available")
                deadline = time.monotonic() + 10
                while not caller.closed and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
                assert caller.closed  # the bot ended the call after the agent hung up
        return caller, offer, connected

    caller, offer, connected = asyncio.run(call())
    context = offer["context"]
    assert context["from_number"] == CALLER_ID and context["department"] == "housing_fund"
    assert len(context["said"]) == 2 and context["intent"]  # what the caller told the bot
    assert connected["call_id"] == caller.call_sid == offer["call_id"]
    record = desk_server.call_record(caller.call_sid)
    assert record["outcome"] == "agent" and record["agent_id"] == "li"
    assert record["queue_wait_s"] >= 5  # offered at once, accepted after 6 s
    kinds = [e["kind"] for e in record["events"]]
    assert {"queued", "connected", "wrapup"} <= set(kinds), kinds
    assert "您是下一位" in _bot_texts(record)  # the place in the queue and the wait
    wrapup = next(e for e in record["events"] if e["kind"] == "wrapup")
    assert "已告知公积金提取材料" in wrapup["detail"]


def test_with_nobody_on_duty_a_caller_takes_a_callback_that_an_agent_completes(
        desk_server: RunningServer) -> None:
    async def call() -> ReplayClient:
        caller = ReplayClient(desk_server.ws, "twilio", from_number=CALLER_ID,
                              turn_timeout_s=30)
        async with caller.connected():
            await caller.wait_quiet()
            await caller.speak(clip_8k(HOTLINE / "A13_tel8k.wav"))
            await caller.wait_quiet(since=time.monotonic())
            await caller.speak(clip_8k(HOTLINE / "A40_tel8k.wav"))
            await caller.wait_quiet(since=time.monotonic())  # transfer, then "无人值守…"
            await caller.speak(clip_8k(CONTACT / "callback_please_tel8k.wav"))
            await caller.wait_quiet(since=time.monotonic())  # the number read back
            await caller.press("1")
            deadline = time.monotonic() + 30
            while not caller.closed and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        return caller

    caller = asyncio.run(call())
    assert caller.closed
    record = desk_server.call_record(caller.call_sid)
    assert record["outcome"] == "callback", [e for e in record["events"]]
    said = _bot_texts(record)
    assert "无人值守" in said and "13912345678" in said and "已为您登记回电" in said

    key = _new_agent(desk_server, "wang")
    status, callbacks = _request(desk_server, "GET", "/api/callbacks", key=key)
    assert status == 200
    mine = [c for c in callbacks if c["call_sid"] == caller.call_sid]
    assert len(mine) == 1 and mine[0]["number"] == "13912345678"
    assert mine[0]["department"] == "housing_fund" and mine[0]["context"]["said"]
    cb = mine[0]["id"]
    assert _request(desk_server, "POST", f"/api/callbacks/{cb}/take", key=key)[0] == 200
    status, done = _request(desk_server, "POST", f"/api/callbacks/{cb}/outcome",
                            {"outcome": "done", "note": "已回电说明"}, key=key)
    assert status == 200 and done["status"] == "done"
    status, closed = _request(desk_server, "GET", "/api/callbacks?status=closed",
                              key="test-admin-key-not-secret")
    assert any(c["id"] == cb and c["note"] == "已回电说明" for c in closed)


def test_a_dial_mode_queue_hands_the_caller_to_the_agents_phone(
        desk_server: RunningServer) -> None:
    sip = "sip:zhou@pbx.example.gov.cn"
    key = _new_agent(desk_server, "zhou", "hrss", dial_target=sip)
    seen: dict[str, Any] = {}

    async def call() -> tuple[ReplayClient, dict[str, Any]]:
        async with AgentClient(desk_server, key) as agent:
            caller = ReplayClient(desk_server.ws, "twilio", from_number=CALLER_ID,
                                  turn_timeout_s=30)
            async with caller.connected():
                await caller.wait_quiet()
                # 失业金 (hrss). Not A01 (社保卡): some CPUs' int8 kernels make it 吃饱卡
                await caller.speak(clip_8k(HOTLINE / "A07_tel8k.wav"))
                await caller.wait_quiet(since=time.monotonic())
                await caller.speak(clip_8k(HOTLINE / "A40_tel8k.wav"))  # 转人工
                offer = await agent.expect("offer")
                await agent.send(type="accept", call_id=offer["call_id"])
                await agent.expect("connected")
                deadline = time.monotonic() + 20
                while not caller.closed and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
            # The stream is over; Twilio now dials the agent and follows that call.
            await agent.expect("call_dialled", timeout_s=10)
            seen["twiml"] = await asyncio.to_thread(
                _form, desk_server, "/twilio/after-stream", {"CallSid": caller.call_sid})
            assert not any(m["type"] == "call_ended" for m in agent.messages)  # still talking
            seen["ended_twiml"] = await asyncio.to_thread(
                _form, desk_server, "/twilio/dial-ended",
                {"CallSid": caller.call_sid, "DialCallStatus": "completed",
                 "DialCallDuration": "42"})
            seen["ended"] = await agent.expect("call_ended", timeout_s=10)
        return caller, offer

    caller, offer = asyncio.run(call())
    assert caller.closed and offer["department"] == "hrss"
    twiml = seen["twiml"]
    assert f"<Sip>{sip}</Sip></Dial>" in twiml and "/twilio/dial-ended" in twiml, twiml
    assert "<Hangup" in seen["ended_twiml"]
    assert seen["ended"]["reason"] == "phone call completed"
    record = desk_server.call_record(caller.call_sid)
    assert record["outcome"] == "agent" and record["agent_id"] == "zhou"
    assert record["transfer_target"] == sip and record["queue_wait_s"] is not None
    ended = [e for e in record["events"] if e["kind"] == "dial_ended"]
    assert ended and ended[0]["detail"] == "completed, 42 s"


def _form(server: RunningServer, path: str, fields: dict[str, str]) -> str:
    """POST a Twilio-style form (the test server checks no signature) and read the TwiML."""
    import urllib.parse
    import urllib.request
    body = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(server.http + path, data=body, timeout=10) as resp:
        return str(resp.read().decode())
