"""The web layer's shape: one router per area, media routes derived from the provider registry.

A new telephony dialect is an adapter plus one registry entry: registered here (a test
dialect reusing the L16 adapter with a header check of its own), it gets its route, its
handshake check and real calls, with no other change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.websockets import WebSocketDisconnect

from dialog.kbholder import KnowledgeBaseHolder
from ivr.config import ServerConfig
from ivr.media.l16 import L16MediaProtocol
from ivr.media.registry import PROVIDERS, Handshake, MediaProvider, register
from tests.inprocess import app_with_fakes, shared_kb_holder


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return shared_kb_holder()


def _refuse_without_key(handshake: Handshake, config: ServerConfig) -> str | None:
    return None if handshake.header("X-Test-Key") == "open sesame" else "missing test key"


@pytest.fixture
def test_dialect(monkeypatch: pytest.MonkeyPatch) -> Iterator[MediaProvider]:
    provider = MediaProvider("testpcm", L16MediaProtocol, _refuse_without_key, "a test dialect")
    monkeypatch.setitem(PROVIDERS, provider.name, provider)
    yield provider


def test_every_area_answers(tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    with app_with_fakes(tmp_path, holder) as (client, _):
        assert client.get("/healthz").json()["media"] == {"twilio": "/twilio/media",
                                                          "l16": "/l16/media"}
        assert client.get("/api/calls").json() == []  # calls API
        assert client.get("/api/calls/CAnone").status_code == 404
        assert client.post("/api/route", json={"text": "路灯坏了"}).status_code == 200  # KB API
        assert "<Connect" in client.post("/twilio/voice", data={"CallSid": "CA1"}).text
        assert "<Hangup/>" in client.post("/twilio/after-stream", data={"CallSid": "CA1"}).text
        for provider in PROVIDERS.values():  # media sockets: one per registered dialect
            with client.websocket_connect(provider.path) as ws:
                ws.close(1000)


def test_a_registered_dialect_gets_its_route_check_and_calls(
        tmp_path: Path, holder: KnowledgeBaseHolder, test_dialect: MediaProvider) -> None:
    with app_with_fakes(tmp_path, holder) as (client, world):
        assert client.get("/healthz").json()["media"]["testpcm"] == "/testpcm/media"
        with pytest.raises(WebSocketDisconnect) as refused:  # its own handshake check
            with client.websocket_connect("/testpcm/media") as ws:
                ws.receive_text()
        assert (refused.value.code, refused.value.reason) == (1008, "missing test key")
        with client.websocket_connect("/testpcm/media",
                                      headers={"X-Test-Key": "open sesame"}) as ws:
            ws.send_text(json.dumps({"event": "start", "call_id": "CAnew", "sample_rate": 8000,
                                     "from": "+861", "to": "12345"}))
            first = ws.receive()
            assert first.get("bytes")  # the greeting, as L16 audio
            ws.send_text(json.dumps({"event": "stop"}))
            while ws.receive()["type"] != "websocket.close":
                pass
            world.wait_until_calls_served()
        record = client.get("/api/calls/CAnew").json()
        assert record["protocol"] == "l16" and record["from_number"] == "+861"


def test_names_are_unique_and_route_safe() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(MediaProvider("twilio", L16MediaProtocol, _refuse_without_key))
    with pytest.raises(ValueError, match="identifier"):
        register(MediaProvider("../x", L16MediaProtocol, _refuse_without_key))


def test_handshake_reads_what_the_checks_need() -> None:
    h = Handshake({"host": "a.example", "x-forwarded-proto": "https", "authorization": "B t"},
                  "token=1&token=2", "ws")
    assert (h.host, h.scheme_hint, h.header("Authorization"), h.query_param("token")) == (
        "a.example", "https", "B t", "2")
    assert h.query_param("missing") is None
    assert Handshake({"x-forwarded-host": "b.example", "host": "a"}).host == "b.example"
