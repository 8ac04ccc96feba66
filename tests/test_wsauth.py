"""Who may open a media websocket: the pure checks, then a real server with both checks on.

The session-wide `server` fixture runs with the defaults (no tokens: open, as `make run`), so
the tests that need authentication switched on start their own uvicorn on 127.0.0.1 with
`IVR_TWILIO_AUTH_TOKEN` and `IVR_L16_TOKEN` set, over real services (recognizer, TTS, SQLite).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn
import websockets
from websockets.frames import Close

from ivr.cli import main as cli_main
from ivr.config import ServerConfig
from ivr.replay import replay
from ivr.services import build_services
from ivr.web.app import create_app
from ivr.wsauth import POLICY_VIOLATION, l16_refusal, twilio_stream_refusal
from pcm.files import write_wav
from tests.conftest import ADMIN_HEADERS, REPO, TEST_ADMIN_KEY

TWILIO_TOKEN = "twilio-auth-token-for-tests"
L16_TOKEN = "l16-token-for-tests-6f1c2a9e"


def sign(data: str, token: str = TWILIO_TOKEN) -> str:
    """Twilio's signature written out independently: base64 HMAC-SHA1 of the signed string."""
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


# ---- Twilio handshake, pure -------------------------------------------------------------------


def twilio(signature: str | None, host: str = "127.0.0.1:8080", hint: str = "ws",
           query: str = "", public_url: str = "", token: str = TWILIO_TOKEN) -> str | None:
    return twilio_stream_refusal(signature, host, hint, query, public_url, token)


def test_twilio_check_is_off_without_an_auth_token() -> None:
    assert ServerConfig().twilio_auth_token == ""
    assert twilio(None, token="") is None
    assert twilio("anything", token="") is None


def test_twilio_local_stream_url_is_signed_as_handed_out() -> None:
    assert twilio(sign("ws://127.0.0.1:8080/twilio/media")) is None
    assert twilio(sign("ws://localhost:8080/twilio/media"), host="localhost:8080") is None


def test_twilio_behind_a_proxy_signs_the_public_wss_url() -> None:
    public = sign("wss://ivr.example.org/twilio/media")
    # forwarded host, and the proxy speaking plain http to us: Twilio still dialled wss
    assert twilio(public, host="ivr.example.org", hint="http") is None
    assert twilio(public, host="ivr.example.org", hint="https") is None
    # IVR_PUBLIC_URL wins over whatever Host the proxy passes on, and keeps its path prefix
    assert twilio(public, host="10.0.0.5:8080", public_url="https://ivr.example.org") is None
    prefixed = sign("wss://x.org/ivr/twilio/media")
    assert twilio(prefixed, host="10.0.0.5:8080", public_url="https://x.org/ivr/") is None
    # the URL the server itself saw is not what Twilio signed
    assert twilio(sign("ws://10.0.0.5:8080/twilio/media"), host="10.0.0.5:8080",
                  public_url="https://ivr.example.org") == "invalid X-Twilio-Signature"


def test_twilio_default_port_is_tolerated() -> None:
    assert twilio(sign("wss://ivr.example.org:443/twilio/media"), host="ivr.example.org") is None


def test_twilio_query_string_signed_in_url_or_as_parameters() -> None:
    url = "ws://127.0.0.1:8080/twilio/media"
    assert twilio(sign(url + "?a=1&b=2"), query="a=1&b=2") is None
    assert twilio(sign(url + "a1b2"), query="b=2&a=1") is None
    assert twilio(sign(url), query="a=1") == "invalid X-Twilio-Signature"


def test_twilio_refusals_say_why() -> None:
    url = "ws://127.0.0.1:8080/twilio/media"
    assert twilio(None) == "missing X-Twilio-Signature"
    assert twilio("") == "missing X-Twilio-Signature"
    assert twilio(sign(url, "another-token")) == "invalid X-Twilio-Signature"
    assert twilio(sign(url.replace("ws://", "http://"))) == "invalid X-Twilio-Signature"
    assert twilio(sign(url.replace("/media", "/voice"))) == "invalid X-Twilio-Signature"
    assert twilio(sign(url), host="evil.org/x") == "bad Host header"
    assert twilio("签名") == "invalid X-Twilio-Signature"


# ---- L16 token, pure --------------------------------------------------------------------------


def test_l16_check_is_off_by_default_and_read_from_the_environment() -> None:
    assert ServerConfig().l16_token == ""
    assert l16_refusal(None, None, "") is None
    assert l16_refusal("Bearer whatever", "x", "") is None
    assert ServerConfig.from_env({"IVR_L16_TOKEN": "s3cret"}).l16_token == "s3cret"


@pytest.mark.parametrize(("authorization", "query_token"), [
    (f"Bearer {L16_TOKEN}", None),
    (f"bearer   {L16_TOKEN} ", None),  # the scheme is case-insensitive; padding is not the token
    (None, L16_TOKEN),
    ("Bearer wrong", L16_TOKEN),  # either credential matching is enough
    (f"Bearer {L16_TOKEN}", "wrong"),
])
def test_l16_accepts_header_or_query(authorization: str | None, query_token: str | None) -> None:
    assert l16_refusal(authorization, query_token, L16_TOKEN) is None


@pytest.mark.parametrize(("authorization", "query_token", "reason"), [
    (None, None, "missing L16 token"),
    ("", "", "missing L16 token"),
    ("Bearer", None, "missing L16 token"),
    (f"Basic {L16_TOKEN}", None, "missing L16 token"),  # only Bearer carries the token
    (L16_TOKEN, None, "missing L16 token"),
    ("Bearer wrong", None, "invalid L16 token"),
    (None, "wrong", "invalid L16 token"),
    (f"Bearer {L16_TOKEN[:-1]}", None, "invalid L16 token"),  # a prefix is not the token
    (f"Bearer {L16_TOKEN}x", None, "invalid L16 token"),
    ("Bearer \udcff", None, "invalid L16 token"),  # undecodable bytes do not crash the check
    ("Bearer 令牌", "令牌", "invalid L16 token"),  # nor non-ASCII (compare_digest on str would)
])
def test_l16_refusals(authorization: str | None, query_token: str | None, reason: str) -> None:
    assert l16_refusal(authorization, query_token, L16_TOKEN) == reason


def test_l16_non_ascii_token_compares_as_utf8() -> None:
    assert l16_refusal(None, "令牌", "令牌") is None
    assert l16_refusal("Bearer 令牌", None, "令") == "invalid L16 token"


# ---- a real server with both checks on --------------------------------------------------------


@dataclass
class AuthServer:
    http: str
    ws: str
    port: int

    def get(self, path: str) -> tuple[int, Any]:
        try:
            req = urllib.request.Request(self.http + path, headers=ADMIN_HEADERS)
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def ended_record(self, call_id: str, timeout_s: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        record: dict[str, Any] = {}
        while time.monotonic() < deadline:
            status, record = self.get(f"/api/calls/{call_id}")
            if status == 200 and record.get("ended_at"):
                break
            time.sleep(0.2)
        return record


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    tmp = tmp_path_factory.mktemp("auth_server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = ServerConfig(host="127.0.0.1", port=port, db_path=tmp / "calls.sqlite3",
                          kb_path=REPO / "intents.yaml", router_model_path=tmp / "none.json",
                          prerender=False, twilio_auth_token=TWILIO_TOKEN, l16_token=L16_TOKEN,
                          api_keys=f"admin:{TEST_ADMIN_KEY}",
                          # the tests play the TLS proxy from localhost (ivr.web.proxies)
                          trusted_proxies="127.0.0.1")
    app = create_app(config, build_services(config))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           ws_max_size=1 << 20))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("auth server did not start")
        time.sleep(0.05)
    yield AuthServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", port)
    server.should_exit = True
    thread.join(timeout=15)


def l16_start(call_id: str) -> str:
    return json.dumps({"event": "start", "call_id": call_id, "from": "1", "to": "12345",
                       "sample_rate": 8000})


def twilio_start(call_sid: str) -> list[str]:
    return [json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}),
            json.dumps({"event": "start", "streamSid": "MZ" + call_sid, "start": {
                "callSid": call_sid, "streamSid": "MZ" + call_sid, "customParameters": {},
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                "channels": 1}}})]


async def refused(url: str, headers: dict[str, str], first: list[str]) -> Close:
    """Connect, send the opening messages anyway, and return the server's close frame."""
    async with websockets.connect(url, additional_headers=headers) as ws:
        for opening in first:
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.send(opening)
        with pytest.raises(websockets.ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), 10)
    assert info.value.rcvd is not None
    return info.value.rcvd


async def served(url: str, headers: dict[str, str], first: list[str], stop: str) -> bool:
    """Connect, start a call, and say whether the bot started talking (its greeting)."""
    async with websockets.connect(url, additional_headers=headers) as ws:
        for opening in first:
            await ws.send(opening)
        deadline = time.monotonic() + 60
        heard = False
        while not heard and time.monotonic() < deadline:
            message = await asyncio.wait_for(ws.recv(), 60)
            heard = isinstance(message, bytes) or json.loads(message).get("event") == "media"
        await ws.send(stop)
    return heard


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@pytest.mark.e2e
def test_l16_without_or_with_a_wrong_token_is_closed_1008_and_not_recorded(
        auth_server: AuthServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ivr.web.media")
    url = auth_server.ws + "/l16/media"
    cases = [({}, "", "missing L16 token"),
             ({"Authorization": "Bearer not-it"}, "", "invalid L16 token"),
             ({}, "?token=not-it", "invalid L16 token"),
             ({"Authorization": f"Basic {L16_TOKEN}"}, "", "missing L16 token")]
    ids = []
    for headers, query, reason in cases:
        call_id = new_id("c-refused-")
        ids.append(call_id)
        close = asyncio.run(refused(url + query, headers, [l16_start(call_id)]))
        assert (close.code, close.reason) == (POLICY_VIOLATION, reason)
    for call_id in ids:
        assert auth_server.get(f"/api/calls/{call_id}")[0] == 404
    listed = {c.get("call_sid") for c in auth_server.get("/api/calls?limit=500")[1]}
    assert not listed & set(ids)
    refusals = [r.getMessage() for r in caplog.records if "refused /l16/media" in r.getMessage()]
    assert len(refusals) == len(cases)
    assert all("from 127.0.0.1:" in m for m in refusals)
    assert not any("not-it" in m or L16_TOKEN in m for m in refusals)  # no secrets logged


@pytest.mark.e2e
def test_l16_with_the_token_in_header_or_query_is_served(auth_server: AuthServer) -> None:
    url = auth_server.ws + "/l16/media"
    stop = json.dumps({"event": "stop", "reason": "test over"})
    by_header = new_id("c-header-")
    assert asyncio.run(served(url, {"Authorization": f"Bearer {L16_TOKEN}"},
                              [l16_start(by_header)], stop))
    by_query = new_id("c-query-")
    query = "?" + urllib.parse.urlencode({"token": L16_TOKEN})
    assert asyncio.run(served(url + query, {}, [l16_start(by_query)], stop))
    for call_id in (by_header, by_query):
        record = auth_server.ended_record(call_id)
        assert record["protocol"] == "l16" and record["ended_at"]


@pytest.mark.e2e
def test_twilio_media_needs_the_signature_of_the_url_handed_out(auth_server: AuthServer) -> None:
    url = auth_server.ws + "/twilio/media"
    local = f"ws://127.0.0.1:{auth_server.port}/twilio/media"
    forwarded = {"X-Forwarded-Host": "ivr.example.org", "X-Forwarded-Proto": "https"}
    cases = [({}, "missing X-Twilio-Signature"),
             ({"X-Twilio-Signature": sign(local, "wrong-token")}, "invalid X-Twilio-Signature"),
             # behind a proxy Twilio dialled the public wss URL, not the one we see
             ({**forwarded, "X-Twilio-Signature": sign(local)}, "invalid X-Twilio-Signature")]
    sids = []
    for headers, reason in cases:
        sid = new_id("CArefused")
        sids.append(sid)
        close = asyncio.run(refused(url, headers, twilio_start(sid)))
        assert (close.code, close.reason) == (POLICY_VIOLATION, reason)
    for sid in sids:
        assert auth_server.get(f"/api/calls/{sid}")[0] == 404

    stop = json.dumps({"event": "stop", "streamSid": "MZ", "stop": {}})
    behind_proxy = new_id("CAproxy")
    headers = {**forwarded, "X-Twilio-Signature": sign("wss://ivr.example.org/twilio/media")}
    assert asyncio.run(served(url, headers, twilio_start(behind_proxy), stop))
    assert auth_server.ended_record(behind_proxy)["protocol"] == "twilio"


@pytest.mark.e2e
def test_twilio_stream_url_from_the_voice_webhook_validates(auth_server: AuthServer) -> None:
    """The URL /twilio/voice puts in <Stream url> is exactly the one the handshake check signs."""
    params = {"CallSid": new_id("CAvoice"), "From": "+8613800138000", "To": "12345"}
    webhook = auth_server.http + "/twilio/voice"
    signed = webhook + "".join(k + params[k] for k in sorted(params))
    req = urllib.request.Request(webhook, data=urllib.parse.urlencode(params).encode(),
                                 headers={"X-Twilio-Signature": sign(signed)}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        stream = ET.fromstring(resp.read()).find("Connect/Stream")
    assert stream is not None
    stream_url = stream.get("url", "")
    stop = json.dumps({"event": "stop", "streamSid": "MZ", "stop": {}})
    assert asyncio.run(served(stream_url, {"X-Twilio-Signature": sign(stream_url)},
                              twilio_start(params["CallSid"]), stop))
    assert auth_server.ended_record(params["CallSid"])["protocol"] == "twilio"


@pytest.mark.e2e
def test_replay_token_option(auth_server: AuthServer, capsys: pytest.CaptureFixture[str],
                             tmp_path: Path) -> None:
    silence = tmp_path / "silence.wav"  # `ivr replay` needs a file; a refused call never plays it
    write_wav(silence, np.zeros(800, np.int16), 8000)
    code = cli_main(["replay", str(silence), "--url", auth_server.ws, "--protocol", "l16",
                     "--token", "not-it"])
    assert code == 1
    assert "server refused the call (close 1008: invalid L16 token)" in capsys.readouterr().err

    report = asyncio.run(replay([], auth_server.ws, "l16", token=L16_TOKEN))
    assert report.bot_audio_s > 1.0  # the greeting was heard
    assert report.record is not None and report.record["protocol"] == "l16"
