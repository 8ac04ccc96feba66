"""The limits a real `ivr serve` enforces on the wire (issue 11): half-sent HTTP requests are
dropped, oversized headers and websocket frames refused, sockets that never start closed,
connections from one address capped, forwarded headers ignored from strangers, and a flood of
junk events leaves the database nearly as it was. One server with small limits, so each
check takes about a second; every refusal is counted in `/healthz`."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.conftest import RunningServer, launch_server, stop_server
from tests.test_e2e import RawTwilio

pytestmark = pytest.mark.e2e

LIMITS = {"IVR_HEADER_TIMEOUT_S": "1", "IVR_BODY_TIMEOUT_S": "1", "IVR_HANDSHAKE_TIMEOUT_S": "1",
          "IVR_MAX_MESSAGE_BYTES": "4096", "IVR_MAX_CONNECTIONS_PER_ADDRESS": "5",
          "IVR_KEEP_ALIVE_S": "1",
          # the junk flood below sends 2000 messages at once: within the burst
          "IVR_WS_MAX_MSGS_PER_S": "500", "IVR_WS_MSG_BURST": "2100"}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    proc: subprocess.Popen[bytes]
    proc, srv = launch_server(tmp_path_factory.mktemp("limited"), extra_env=LIMITS,
                              extra_args=("--no-prerender",))
    yield srv
    stop_server(proc)


def address(srv: RunningServer) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(srv.http)
    return parts.hostname or "127.0.0.1", parts.port or 80


def refused(srv: RunningServer) -> dict[str, int]:
    counts: dict[str, int] = srv.get("/healthz")["refused"]
    return counts


def read_until_closed(sock: socket.socket, limit_s: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    sock.settimeout(limit_s)
    t0, data = time.monotonic(), b""
    while chunk := sock.recv(65536):
        data += chunk
    return data, time.monotonic() - t0


# ---- HTTP --------------------------------------------------------------------------------------


@pytest.mark.parametrize("sent", [b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\n"])
def test_a_half_sent_request_is_dropped(limited: RunningServer, sent: bytes) -> None:
    before = refused(limited).get("header_timeout", 0)
    with socket.create_connection(address(limited)) as sock:
        sock.sendall(sent)
        data, waited = read_until_closed(sock, 5)
    assert data == b"" and 0.8 < waited < 3
    assert refused(limited)["header_timeout"] == before + 1


def test_a_kept_alive_connection_gets_the_same_deadline(limited: RunningServer) -> None:
    with socket.create_connection(address(limited)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(5)
        response = b""
        while b"\r\n\r\n" not in response:
            response += sock.recv(65536)
        head, _, body = response.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += sock.recv(65536)
        assert head.startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # the next request, half sent
        data, waited = read_until_closed(sock, 5)
    assert data == b"" and waited < 3


def test_a_half_sent_body_is_408(limited: RunningServer) -> None:
    with socket.create_connection(address(limited)) as sock:
        sock.sendall(b"POST /api/route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 100\r\n\r\n{\"text\": ")
        data, waited = read_until_closed(sock, 5)
    assert data.startswith(b"HTTP/1.1 408") and waited < 3
    assert b"request body not received within 1 s" in data
    assert refused(limited)["body_timeout"] >= 1


def test_oversized_headers_are_refused(limited: RunningServer) -> None:
    with socket.create_connection(address(limited)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"a" * 40_000 + b"\r\n\r\n")
        data, _ = read_until_closed(sock, 5)
    assert data.startswith(b"HTTP/1.1 431")
    with socket.create_connection(address(limited)) as sock:  # arriving piecemeal: h11's bound
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"a" * 20_000)
        data, _ = read_until_closed(sock, 5)
    assert data.startswith(b"HTTP/1.1 400")


def test_a_strangers_forwarded_host_is_ignored(limited: RunningServer) -> None:
    req = urllib.request.Request(limited.http + "/twilio/voice", data=b"CallSid=CA1",
                                 headers={"X-Forwarded-Host": "evil.example.net",
                                          "X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        twiml = resp.read().decode()
    host, port = address(limited)
    assert f'<Stream url="ws://{host}:{port}/twilio/media"' in twiml
    assert "evil" not in twiml


# ---- media sockets -------------------------------------------------------------------------------


async def _close_code(ws: ClientConnection, timeout_s: float = 5) -> tuple[int, str, float]:
    t0 = time.monotonic()
    with pytest.raises(websockets.ConnectionClosed) as info:
        while True:
            await asyncio.wait_for(ws.recv(), timeout_s)
    rcvd = info.value.rcvd
    assert rcvd is not None
    return rcvd.code, rcvd.reason, time.monotonic() - t0


def test_a_socket_that_never_starts_or_stops_first_is_closed(limited: RunningServer) -> None:
    async def run(first: list[str]) -> tuple[int, str, float]:
        async with websockets.connect(limited.ws + "/l16/media") as ws:
            for message in first:
                await ws.send(message)
            return await _close_code(ws)

    code, reason, waited = asyncio.run(run([]))
    assert (code, reason) == (1008, "no start within 1 s") and waited < 3
    code, _, waited = asyncio.run(run(['{"event":"stop"}']))
    assert code in (1000, 1008) and waited < 3


def test_a_frame_over_the_message_limit_is_refused_on_the_wire(limited: RunningServer) -> None:
    async def run() -> tuple[int, str, float]:
        async with websockets.connect(limited.ws + "/l16/media", max_size=None) as ws:
            await ws.send(json.dumps({"event": "start", "call_id": "CAbigframe",
                                      "sample_rate": 8000}))
            await ws.send(b"\0" * 8192)
            return await _close_code(ws)

    before = refused(limited).get("message_too_big", 0)
    code, _, _ = asyncio.run(run())
    assert code == 1009
    deadline = time.monotonic() + 5
    while refused(limited).get("message_too_big", 0) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert refused(limited)["message_too_big"] == before + 1


def test_a_socket_sending_too_many_messages_is_closed_with_1008(limited: RunningServer) -> None:
    async def run() -> tuple[int, str]:
        async with websockets.connect(limited.ws + "/twilio/media") as ws:
            caller = RawTwilio(ws)
            await caller.start()
            media = json.dumps({"event": "media", "streamSid": caller.stream_sid,
                                "media": {"track": "inbound", "payload": "//////////8="}})
            try:
                for _ in range(6000):  # as fast as the socket takes them: far over 500/s
                    await ws.send(media)
            except websockets.ConnectionClosed:
                pass
            code, reason, _ = await _close_code(ws, 10)
            return code, reason

    before = refused(limited).get("message_rate", 0)
    code, reason = asyncio.run(run())
    assert (code, reason) == (1008, "too many messages (over 500/s)")
    assert refused(limited)["message_rate"] == before + 1
    assert 'ivr_ws_rejected_total{reason="message rate"}' in urllib.request.urlopen(
        limited.http + "/metrics", timeout=10).read().decode()


def test_connections_from_one_address_are_capped(limited: RunningServer) -> None:
    async def outcome(ws: ClientConnection) -> int | None:
        try:
            await asyncio.wait_for(ws.recv(), 0.5)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        except TimeoutError:
            return None  # held open, waiting for start (the 1 s handshake deadline)
        return -1

    async def run() -> list[int | None]:
        sockets = [await websockets.connect(limited.ws + "/twilio/media") for _ in range(8)]
        codes = await asyncio.gather(*(outcome(ws) for ws in sockets))
        for ws in sockets:
            await ws.close()
        return list(codes)

    for _ in range(10):  # the test before may still hold a slot for a moment as it closes
        codes = asyncio.run(run())
        if codes.count(None) == 5:
            break
        time.sleep(0.5)
    assert codes.count(None) == 5 and codes.count(1013) == 3, codes


def test_a_flood_of_junk_leaves_the_database_nearly_as_it_was(limited: RunningServer) -> None:
    """Measured before: 50 MB of 1 MB unknown events grew the database by 52 MB."""
    def size() -> int:  # the database file with its write-ahead log folded in
        with sqlite3.connect(limited.db_path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return limited.db_path.stat().st_size

    async def run() -> int:
        sent = 0
        async with websockets.connect(limited.ws + "/l16/media") as ws:
            await ws.send(json.dumps({"event": "start", "call_id": "CAflood",
                                      "sample_rate": 8000}))
            for n in range(2000):
                junk = json.dumps({"event": f"{n}" + "x" * 4000})
                await ws.send(junk)
                sent += len(junk)
            await ws.send('{"event":"stop"}')
            await _close_code(ws, 30)
        return sent

    before = size()
    sent = asyncio.run(run())
    record = limited.call_record("CAflood")
    grown = size() - before
    print(f"junk flood: sent {sent / 1e6:.1f} MB, database grew {grown / 1e3:.0f} kB")
    assert sent > 8_000_000 and grown < 100_000
    assert len(record["events"]) < 60
    assert any(e["kind"] == "junk_suppressed" for e in record["events"])
