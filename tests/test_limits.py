"""The limits of issue 11 item 4, in-process through the real app: media connection caps per
address and in all, the websocket message size, the handshake deadline, the HTTP body size;
each refusal counted (`/healthz` "refused"). What only the real server enforces (uvicorn's
wire checks, half-sent requests) is in tests/test_limits_server.py."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from starlette.testclient import TestClient, WebSocketTestSession

from dialog.kbholder import KnowledgeBaseHolder
from ivr.config import ServerConfig
from ivr.web.limits import ConnectionLimiter, Refusals
from ivr.web.rate import AudioPace, TokenBucket
from tests.inprocess import FakeWorld, TwilioCaller, app_with_fakes, shared_kb_holder

A = ("198.51.100.1", 5000)
B = ("198.51.100.2", 5000)


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return shared_kb_holder()


@pytest.fixture
def app(tmp_path: Path, holder: KnowledgeBaseHolder) -> Iterator[tuple[TestClient, FakeWorld]]:
    with app_with_fakes(tmp_path, holder, max_connections_per_address=2,
                        max_media_connections=3) as running:
        yield running


def close_of(ws: WebSocketTestSession) -> tuple[int, str, list[str]]:
    """Read until the server closes the socket: its code, reason and the texts before."""
    texts: list[str] = []
    while True:
        message = ws.receive()
        if message["type"] == "websocket.close":
            return message.get("code", 1000), message.get("reason", ""), texts
        if message.get("text"):
            texts.append(message["text"])


def refused(client: TestClient) -> dict[str, int]:
    counts: dict[str, int] = client.get("/healthz").json()["refused"]
    return counts


def peer(world: FakeWorld, address: tuple[str, int]) -> TestClient:
    assert world.app is not None
    return TestClient(world.app, client=address)


def l16_start(call_id: str) -> str:
    return json.dumps({"event": "start", "call_id": call_id, "sample_rate": 8000})


# ---- pure ---------------------------------------------------------------------------------------


def test_the_limiter_caps_per_address_and_in_all() -> None:
    limiter = ConnectionLimiter(total=3, per_address=2)
    assert limiter.acquire("a") is None and limiter.acquire("a") is None
    assert limiter.acquire("a") == ("too_many_from_address",
                                    "too many media connections from this address")
    assert limiter.acquire("b") is None
    assert limiter.acquire("c") == ("too_many_connections",
                                    "server busy: too many media connections")
    limiter.release("a")
    assert limiter.acquire("c") is None
    assert ConnectionLimiter(0, 0).acquire("x") is None  # 0: no cap


def test_refusals_are_counted_each_and_logged_once_a_minute(
        caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    refusals = Refusals(log_every_s=60, clock=lambda: now[0])
    with caplog.at_level("WARNING", logger="ivr.web.limits"):
        for _ in range(100):
            refusals.refuse("body_too_large", "POST /api/route from 192.0.2.1")
        refusals.refuse("header_timeout", "from 192.0.2.1")
        now[0] = 61
        refusals.refuse("body_too_large", "POST /api/route from 192.0.2.1")
    assert refusals.snapshot() == {"body_too_large": 101, "header_timeout": 1}
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert lines[-1].endswith("(and 99 more since the last such line)")


# ---- media sockets ---------------------------------------------------------------------------


def test_connections_from_one_address_and_in_all_are_capped(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, world = app
    with ExitStack() as held:
        for _ in range(2):
            held.enter_context(peer(world, A).websocket_connect("/l16/media"))
        with peer(world, A).websocket_connect("/l16/media") as third:
            assert close_of(third)[:2] == (1013, "too many media connections from this address")
        held.enter_context(peer(world, B).websocket_connect("/l16/media"))
        with peer(world, B).websocket_connect("/l16/media") as fourth:
            assert close_of(fourth)[:2] == (1013, "server busy: too many media connections")
        assert refused(client) == {"too_many_from_address": 1, "too_many_connections": 1}
    world.wait_until_calls_served()
    # the slots come back when the sockets close
    with peer(world, A).websocket_connect("/l16/media") as ws:
        ws.send_text(l16_start("CAafter"))
        assert ws.receive().get("bytes")  # the greeting: served
        ws.send_text('{"event":"stop"}')
        assert close_of(ws)[0] == 1000
        world.wait_until_calls_served()


def test_a_message_over_the_limit_closes_the_socket_with_1009(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, world = app
    with client.websocket_connect("/l16/media") as ws:
        ws.send_text(l16_start("CAhuge"))
        ws.send_bytes(b"\0" * (64 * 1024 + 2))
        assert close_of(ws)[:2] == (1009, "message too big")
        world.wait_until_calls_served()
    with client.websocket_connect("/l16/media") as ws:  # text is measured in UTF-8 bytes
        ws.send_text(json.dumps({"event": "ping", "x": "话" * 22_000}, ensure_ascii=False))
        assert close_of(ws)[:2] == (1009, "message too big")
        world.wait_until_calls_served()
    assert refused(client) == {"message_too_big": 2}
    record = client.get("/api/calls/CAhuge").json()
    assert record["ended_at"] and record["events"][-1]["kind"] == "closed"


@pytest.mark.parametrize("first", [None, '{"event":"connected","protocol":"Call"}', "{"])
def test_a_socket_that_never_starts_is_closed_after_the_handshake_timeout(
        app: tuple[TestClient, FakeWorld], first: str | None) -> None:
    client, world = app
    with client.websocket_connect("/twilio/media") as ws:
        if first:
            ws.send_text(first)
        world.clock.wait_for_timer(10.0)
        world.clock.advance(10.0)
        assert close_of(ws)[:2] == (1008, "no start within 10 s")
        world.wait_until_calls_served()
    assert refused(client) == {"handshake_timeout": 1}
    assert client.get("/api/calls").json() == []  # no call record


def test_the_handshake_deadline_ends_when_the_call_starts(
        app: tuple[TestClient, FakeWorld]) -> None:
    """Not left pending for the whole call: a test waiting for the 10 s the caller's last
    words may take at hang-up would otherwise find the handshake's 10 s timer instead."""
    client, world = app
    with client.websocket_connect("/l16/media") as ws:
        world.clock.wait_for_timer(10.0)  # the socket is open, no start yet
        ws.send_text(l16_start("CAshook"))
        assert ws.receive().get("bytes")  # the greeting: the call has started
        assert not world.clock.has_timer(10.0)
        ws.send_text('{"event":"stop"}')
        assert close_of(ws)[0] == 1000
        world.wait_until_calls_served()
    assert refused(client) == {}


def test_an_l16_socket_that_never_starts_is_told_hangup_then_closed(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, world = app
    with client.websocket_connect("/l16/media") as ws:
        ws.send_text(json.dumps({"event": "start", "call_id": "c1", "sample_rate": 44100}))
        world.clock.wait_for_timer(10.0)
        world.clock.advance(10.0)
        code, reason, texts = close_of(ws)
    assert (code, reason) == (1008, "no start within 10 s")
    assert [json.loads(t) for t in texts] == [{"event": "hangup",
                                               "reason": "no start within 10 s"}]
    world.wait_until_calls_served()


def test_a_call_that_started_is_not_closed_by_the_handshake_timeout(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, world = app
    with client.websocket_connect("/l16/media") as ws:
        ws.send_text(l16_start("CAstarted"))
        assert ws.receive().get("bytes")
        world.clock.advance(10.0)
        ws.send_text('{"event":"stop"}')
        assert close_of(ws)[0] == 1000
        world.wait_until_calls_served()
    assert "handshake_timeout" not in refused(client)


# ---- HTTP bodies ---------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_by_length_or_as_it_arrives(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    big = json.dumps({"text": "路" * 100_000}).encode()  # 300 kB > 256 KiB
    response = client.post("/api/route", content=big,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": "request body over 262144 bytes"}

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for i in range(0, len(big), 16_384):
            yield big[i:i + 16_384]

    response = client.post("/api/route", content=chunks(),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert client.post("/twilio/voice", content=b"x" * 300_000,
                       headers={"Content-Type": "application/x-www-form-urlencoded"}
                       ).status_code == 413
    assert refused(client) == {"body_too_large": 3}
    assert client.post("/api/route", json={"text": "路灯坏了"}).status_code == 200


# ---- message rate ----------------------------------------------------------------------------


def test_the_token_bucket_allows_the_rate_and_the_burst_then_refuses() -> None:
    bucket = TokenBucket(rate=200, burst=400, now=0.0)
    assert all(bucket.take(0.0) for _ in range(400))  # a burst at once
    assert not bucket.take(0.0)
    assert bucket.take(0.005)  # one token back after 5 ms
    assert not bucket.take(0.005)
    steady = TokenBucket(rate=200, burst=400, now=0.0)
    assert all(steady.take(i * 0.02) for i in range(10_000))  # Twilio's 50/s, 200 s long
    assert all(TokenBucket(0, 0, 0.0).take(0.0) for _ in range(10_000))  # 0: no limit


def test_audio_is_paced_by_its_duration_not_by_when_it_was_read() -> None:
    pace = AudioPace(lead_s=5.0, opened=0.0)
    # 30 s of 20 ms frames read at once after a 30 s stall: all within real time
    assert all(pace.within(0.02, 30.0) for _ in range(1500))
    # then faster than real time: 5 s of lead, then refused
    assert all(pace.within(0.02, 30.0) for _ in range(250))
    assert not pace.within(0.02, 30.0)
    tiny = AudioPace(lead_s=1.0, opened=0.0)  # 1 ms frames count as 20 ms ones
    assert sum(tiny.within(0.001, 0.0) for _ in range(100)) == 50
    bucket = TokenBucket(rate=200, burst=2, now=0.0)
    assert bucket.take(0.0) and bucket.take(0.0) and not bucket.take(0.0)
    bucket.refund()
    bucket.refund()
    bucket.refund()  # never more than the burst
    assert bucket.take(0.0) and bucket.take(0.0) and not bucket.take(0.0)


FRAME_20MS = base64.b64encode(b"\xff" * 160).decode()  # 20 ms of μ-law silence


def _media(stream_sid: str, payload: str = "//////////8=") -> str:
    return json.dumps({"event": "media", "streamSid": stream_sid,
                       "media": {"payload": payload}})


def test_a_socket_sending_too_fast_is_closed_with_1008_and_counted(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    with app_with_fakes(tmp_path, holder, ws_max_msgs_per_s=100, ws_msg_burst=50) as (
            client, world):
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAflood")
            caller.dial()
            # while no time passes: 5 s of audio lead (250 messages: each counts as at
            # least 20 ms), then the 50 of the burst, then refused
            for _ in range(320):
                ws.send_text(_media("MZCAflood"))
            code, reason, _ = close_of(ws)
            world.wait_until_calls_served()
        assert (code, reason) == (1008, "too many messages (over 100/s)")
        assert refused(client) == {"message_rate": 1}
        assert 'ivr_ws_rejected_total{reason="message rate"} 1.0' in client.get("/metrics").text
        record = client.get("/api/calls/CAflood").json()
        assert record["ended_at"] and record["events"][-1]["kind"] == "closed"


def test_a_backlog_of_audio_after_a_stall_is_not_a_flood(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    """30 s of a call's audio read in one go (the server or the network stalled): counted at
    read time that is 1,500 messages at once, far over the burst of 400; counted by its
    duration it is a call in real time, and the call goes on."""
    defaults = ServerConfig()  # 200/s, 400, 5 s of audio lead
    with app_with_fakes(tmp_path, holder, ws_max_msgs_per_s=defaults.ws_max_msgs_per_s,
                        ws_msg_burst=defaults.ws_msg_burst) as (client, world):
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAstall")
            caller.dial()
            world.clock.advance(30.0)  # the stall: the platform's frames queue meanwhile
            for _ in range(1500):
                ws.send_text(_media("MZCAstall", FRAME_20MS))
            caller.stop()
        assert "message_rate" not in refused(client)
        assert client.get("/api/calls/CAstall").json()["events"][-1]["detail"] == "platform stop"


def test_a_call_at_twilio_pace_is_never_limited(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    defaults = ServerConfig()  # 200/s, 400
    with app_with_fakes(tmp_path, holder, ws_max_msgs_per_s=defaults.ws_max_msgs_per_s,
                        ws_msg_burst=defaults.ws_msg_burst) as (client, world):
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CApace")
            caller.dial()
            for _ in range(1000):  # 20 s of 20 ms frames (the bot re-prompts meanwhile)
                ws.send_text(_media("MZCApace"))
                world.clock.advance(0.02)
            caller.stop()
        assert "message_rate" not in refused(client)
        assert client.get("/api/calls/CApace").json()["events"][-1]["detail"] == "platform stop"
