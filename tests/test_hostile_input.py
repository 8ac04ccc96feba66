"""Hostile and faulty input at the HTTP API and the media sockets (issue 11): every bad request
is a clear 4xx, never a 500, and nothing a client sends grows without bound.

All in-process through the real app (`tests/inprocess.py`); the limits that only the real
server enforces (uvicorn's) are in tests/test_limits_server.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient, WebSocketTestSession

from dialog.kbholder import KnowledgeBaseHolder
from tests.inprocess import FakeWorld, TwilioCaller, app_with_fakes, shared_kb_holder


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return shared_kb_holder()


@pytest.fixture
def app(tmp_path: Path, holder: KnowledgeBaseHolder) -> Iterator[tuple[TestClient, FakeWorld]]:
    with app_with_fakes(tmp_path, holder) as running:
        yield running


# ---- the HTTP API -----------------------------------------------------------------------------


def test_deeply_nested_json_to_route_is_a_client_error(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/route", content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    # a nested object that does parse is still not a message
    assert client.post("/api/route", json={"text": {"a": [[[]]]}}).status_code == 422


@pytest.mark.parametrize("limit", ["-1", "0", "501", str(10**30), "1e3", "abc"])
def test_calls_list_limit_out_of_range_is_422(app: tuple[TestClient, FakeWorld],
                                              limit: str) -> None:
    client, _ = app
    response = client.get(f"/api/calls?limit={limit}")
    assert response.status_code == 422, response.text


def test_calls_list_limit_in_range(app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    for limit in ("1", "50", "500"):
        assert client.get(f"/api/calls?limit={limit}").json() == []


# ---- call ids are the client's choice ---------------------------------------------------------


def l16_start(call_id: str, caller: str = "+8613800000001") -> str:
    return json.dumps({"event": "start", "call_id": call_id, "sample_rate": 8000,
                       "from": caller, "to": "12345"})


def close_of(ws: WebSocketTestSession) -> tuple[int, str]:
    """Read until the server closes the socket; its close code and reason."""
    while True:
        message = ws.receive()
        if message["type"] == "websocket.close":
            return message.get("code", 1000), message.get("reason", "")


def record_of(client: TestClient, sid: str) -> dict[str, Any]:
    response = client.get(f"/api/calls/{sid}")
    assert response.status_code == 200
    record: dict[str, Any] = response.json()
    return record


def test_a_start_reusing_a_finished_calls_id_is_refused_and_the_record_kept(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, world = app
    with client.websocket_connect("/l16/media") as ws:
        ws.send_text(l16_start("CAvictim"))
        assert ws.receive().get("bytes")  # the greeting
        ws.send_text(json.dumps({"event": "stop"}))
        close_of(ws)
        world.wait_until_calls_served()
    before = record_of(client, "CAvictim")
    assert before["from_number"] == "+8613800000001" and before["ended_at"]

    with client.websocket_connect("/l16/media") as ws:
        ws.send_text(l16_start("CAvictim", caller="+8619999999999"))
        ws.send_text(json.dumps({"event": "dtmf", "digit": "0"}))
        ws.send_bytes(b"\0\0" * 160)
        assert close_of(ws) == (1008, "call id already in use")
        world.wait_until_calls_served()
    assert record_of(client, "CAvictim") == before  # no turn, no event, no new outcome


def test_a_start_reusing_a_live_calls_id_is_refused_and_that_call_goes_on(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, world = app
    with client.websocket_connect("/twilio/media") as live:
        caller = TwilioCaller(live, world, "CAlive")
        caller.dial()
        with client.websocket_connect("/l16/media") as intruder:
            intruder.send_text(l16_start("CAlive"))
            assert close_of(intruder) == (1008, "call id already in use")
        caller.ask("社保卡丢了怎么补办")
        caller.hear()  # the answer: the live call was not disturbed
        caller.stop()
    record = record_of(client, "CAlive")
    assert record["protocol"] == "twilio" and len(record["turns"]) == 1
    assert not any("call id" in e["detail"] for e in record["events"])


# ---- junk is bounded per event and per call -----------------------------------------------------

BIG = 60_000  # characters of junk in one message, under the 64 KiB message limit


def _end_l16(ws: WebSocketTestSession, world: FakeWorld, reason: str = "bye") -> None:
    ws.send_text(json.dumps({"event": "stop", "reason": reason}))
    close_of(ws)
    world.wait_until_calls_served()


def test_junk_events_are_stored_cut_short_and_only_the_first_fifty(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, world = app
    with client.websocket_connect("/l16/media") as ws:
        for n in range(30):  # before start: kept and written once the call has an id
            ws.send_text("not json " * 1000 if n % 2 else json.dumps({"event": "x" * BIG}))
        ws.send_text(l16_start("CAjunk"))
        for n in range(300):
            ws.send_text(json.dumps({"event": f"{n}" + "y" * BIG if n < 3 else "ping"}))
        ws.send_bytes(b"\0")  # odd-length frame: a protocol error too
        _end_l16(ws, world, reason="z" * BIG)
    response = client.get("/api/calls/CAjunk")
    record = response.json()
    junk = [e for e in record["events"] if e["kind"] in ("protocol_error", "unknown_event")]
    assert len(junk) == 50
    assert all(len(e["detail"]) < 400 for e in record["events"])
    (summary,) = [e["detail"] for e in record["events"] if e["kind"] == "junk_suppressed"]
    assert summary.startswith("281 more junk events not stored")
    assert "protocol_error 16" in summary and "unknown_event 315" in summary
    assert record["events"][-1]["kind"] == "closed"
    assert len(response.content) < 40_000  # 1.3 MB were sent


def test_start_numbers_and_parameters_are_stored_bounded(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, world = app
    with client.websocket_connect("/l16/media") as ws:
        ws.send_text(json.dumps({
            "event": "start", "call_id": "CAbig", "sample_rate": 8000, "from": "1" * (BIG // 2),
            "to": "12345", "parameters": {f"p{i}": "v" * 300 for i in range(100)}}))
        ws.receive()
        _end_l16(ws, world)
    record = record_of(client, "CAbig")
    assert len(record["from_number"]) < 100 and record["to_number"] == "12345"
    assert len(record["parameters"]) == 32
    assert all(len(v) < 300 for v in record["parameters"].values())


def test_a_record_answers_a_bounded_number_of_events(app: tuple[TestClient, FakeWorld]) -> None:
    client, world = app
    with client.websocket_connect("/l16/media") as ws:
        ws.send_text(l16_start("CAevents"))
        for _ in range(5):
            ws.send_text("{")
        _end_l16(ws, world)
    whole = record_of(client, "CAevents")
    assert whole["event_count"] == len(whole["events"]) >= 7
    first = client.get("/api/calls/CAevents?events=2").json()
    assert first["events"] == whole["events"][:2] and first["event_count"] == whole["event_count"]
    assert client.get("/api/calls/CAevents?events=0").status_code == 422
    assert client.get("/api/calls/CAevents?events=5001").status_code == 422
