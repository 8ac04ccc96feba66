"""What one client may hold or send: connection caps, message and body sizes, time limits.

Measured before these existed: a socket that never sent `start` (or sent `stop` first) and a
half-sent HTTP request stayed open indefinitely, and 200 sockets from one address were all
accepted. Each limit here is a `ServerConfig` field (an `IVR_*` variable, an `ivr serve`
flag); each refusal is counted in `Refusals` (shown by `/healthz`, ready for `/metrics`) and
logged: the first of each kind at once, later ones summed into at most one line a minute,
so a flood cannot flood the log too. See docs/limits.md.

- media websockets: at most `max_media_connections` open, `max_connections_per_address`
  from one client address (after `ivr.web.proxies`), refused with 1013 "try again later";
  messages over `max_message_bytes` close the socket with 1009 (uvicorn enforces the same
  size on the wire); no accepted `start` within `handshake_timeout_s` closes it with 1008;
- HTTP: bodies over `max_body_bytes` answer 413, a body not received within
  `body_timeout_s` answers 408, headers over `max_header_bytes` 431 (`BodyLimit`, an ASGI
  middleware); a request whose headers
  are not complete within `header_timeout_s` of connecting (or of the previous response)
  is dropped (`h11_protocol`, uvicorn's h11 protocol with that timer); uvicorn's keep-alive,
  header size and concurrency limits come from `uvicorn_settings`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from ivr.config import ServerConfig

if TYPE_CHECKING:
    from fastapi import FastAPI, Request, WebSocket

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# RFC 6455 close codes
MESSAGE_TOO_BIG = 1009
TRY_AGAIN_LATER = 1013
LOG_EVERY_S = 60.0


class Refusals:
    """How many times each limit turned something away; logs each kind once a minute at most."""

    def __init__(self, log_every_s: float = LOG_EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.counts: Counter[str] = Counter()
        self._log_every_s = log_every_s
        self._clock = clock
        self._logged_at: dict[str, float] = {}
        self._unlogged: Counter[str] = Counter()

    def refuse(self, kind: str, detail: str) -> None:
        """Count one refusal of `kind` (e.g. "body_too_large"); `detail` says what and who."""
        self.counts[kind] += 1
        now = self._clock()
        last = self._logged_at.get(kind)
        if last is not None and now - last < self._log_every_s:
            self._unlogged[kind] += 1
            return
        more = self._unlogged.pop(kind, 0)
        self._logged_at[kind] = now
        log.warning("refused (%s): %s%s", kind, detail,
                    f" (and {more} more since the last such line)" if more else "")

    def snapshot(self) -> dict[str, int]:
        return dict(self.counts)


class ConnectionLimiter:
    """Counts open media sockets, in all and per client address."""

    def __init__(self, total: int, per_address: int) -> None:
        self.total = total
        self.per_address = per_address
        self.open: Counter[str] = Counter()

    def acquire(self, address: str) -> tuple[str, str] | None:
        """Take a slot for `address`, or (refusal kind, reason) when a cap is reached."""
        if self.total and self.open.total() >= self.total:
            return "too_many_connections", "server busy: too many media connections"
        if self.per_address and self.open[address] >= self.per_address:
            return "too_many_from_address", "too many media connections from this address"
        self.open[address] += 1
        return None

    def release(self, address: str) -> None:
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]


def install(app: FastAPI, config: ServerConfig) -> None:
    """Put the counters and the connection limiter on the app and add the body limit."""
    app.state.refusals = Refusals()
    app.state.connections = ConnectionLimiter(config.max_media_connections,
                                              config.max_connections_per_address)
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes,
                       timeout_s=config.body_timeout_s, refusals=app.state.refusals,
                       max_header_bytes=config.max_header_bytes)


def refusals_of(app: Any) -> Refusals:
    refusals: Refusals = app.state.refusals
    return refusals


def connections_of(app: Any) -> ConnectionLimiter:
    limiter: ConnectionLimiter = app.state.connections
    return limiter


def client_of(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}" if client else "unknown client"


# ---- HTTP bodies ------------------------------------------------------------------------------


class _BodyRefused(Exception):
    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


class BodyLimit:
    """Answers 413 to a request body over `max_bytes` (by Content-Length before reading, or
    as it arrives), 408 to one not fully received within `timeout_s`, and 431 to request
    headers over `max_header_bytes` (a websocket handshake is refused)."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float,
                 refusals: Refusals, max_header_bytes: int = 0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.refusals = refusals
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # h11 bounds a head that arrives in pieces; one that arrived whole is measured here
        header_bytes = sum(len(k) + len(v) + 4 for k, v in scope.get("headers") or [])
        if self.max_header_bytes and header_bytes > self.max_header_bytes:
            message = f"request headers over {self.max_header_bytes} bytes"
            if scope["type"] == "websocket":  # refused before the upgrade: HTTP 403
                self.refusals.refuse("headers_too_large", f"{message}: {scope.get('path')} "
                                     f"from {client_of(scope)}")
                await send({"type": "websocket.close", "code": 1009, "reason": message})
            else:
                await self._refuse(scope, send, _BodyRefused(431, "headers_too_large",
                                                             message))
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if self.max_bytes and length is not None and length > self.max_bytes:
            await self._refuse(scope, send, _BodyRefused(
                413, "body_too_large", f"request body over {self.max_bytes} bytes"))
            return
        started = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s if self.timeout_s > 0 else None
        received = 0
        body_done = False

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done or deadline is None:
                message = await receive()
            else:
                try:
                    message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
                except TimeoutError:
                    raise _BodyRefused(408, "body_timeout", "request body not received within "
                                       f"{self.timeout_s:g} s") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if self.max_bytes and received > self.max_bytes:
                    raise _BodyRefused(413, "body_too_large",
                                       f"request body over {self.max_bytes} bytes")
                body_done = not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyRefused as refused:
            if started:  # too late for a status: the connection just ends
                self.refusals.refuse(refused.kind, f"{refused.message} from {client_of(scope)}")
                return
            await self._refuse(scope, send, refused)

    async def _refuse(self, scope: Scope, send: Send, refused: _BodyRefused) -> None:
        self.refusals.refuse(refused.kind, f"{refused.message}: {scope.get('method')} "
                             f"{scope.get('path')} from {client_of(scope)}")
        body = json.dumps({"detail": refused.message}).encode()
        await send({"type": "http.response.start", "status": refused.status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


# ---- uvicorn ----------------------------------------------------------------------------------


def uvicorn_settings(config: ServerConfig, refusals: Refusals) -> dict[str, Any]:
    """The uvicorn.run keyword arguments that carry the limits of `config`."""
    return {
        "ws_max_size": config.max_message_bytes,
        # no per-message compression: deflating base64 audio 50 times a second per call
        # costs the event loop more CPU than it saves on a loopback or LAN link
        "ws_per_message_deflate": False,
        "timeout_keep_alive": config.keep_alive_s,
        "h11_max_incomplete_event_size": config.max_header_bytes,
        "limit_concurrency": config.limit_concurrency or None,
        "http": h11_protocol(config.header_timeout_s, refusals),
    }


def h11_protocol(header_timeout_s: float, refusals: Refusals) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, dropping a connection whose request headers are not complete
    within `header_timeout_s` of connecting or of finishing the previous response (uvicorn
    has no such timer: a half-sent request was held for ever). h11 rather than httptools
    because it bounds the header size too (`h11_max_incomplete_event_size`); the web
    routes carry small requests, and the media bytes flow over the websocket protocol."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutH11Protocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._header_timer is None and (self.cycle is None or
                                               self.cycle.response_complete):
                self._arm()  # the first bytes of the next request on a kept-alive connection
            super().data_received(data)

        def handle_events(self) -> None:
            headers_before = self.headers
            super().handle_events()
            if self.headers is not headers_before:  # a complete request head arrived
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if header_timeout_s > 0:
                self._disarm()
                self._header_timer = self.loop.call_later(header_timeout_s, self._expired)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _expired(self) -> None:
            self._header_timer = None
            if self.transport.is_closing():
                return
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "unknown client"
            refusals.refuse("header_timeout", f"request headers not complete within "
                            f"{header_timeout_s:g} s from {client}")
            self.transport.close()

    return HeaderTimeoutH11Protocol


def line_full(conn: Request | WebSocket) -> str:
    """Admission control: why a new call is refused now (`IVR_MAX_CALLS` calls are in
    progress), or "" to take it. Refusing at the door keeps the calls already answered
    within their reply time instead of slowing every caller down."""
    limit = int(conn.app.state.config.max_calls)
    in_progress = len(getattr(conn.app.state, "calls", {}))
    if limit > 0 and in_progress >= limit:
        conn.app.state.services.metrics.rejected.labels(reason="line busy").inc()
        return f"line busy: {in_progress} calls in progress (IVR_MAX_CALLS={limit})"
    return ""
