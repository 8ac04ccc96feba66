"""The media sockets: one websocket route per registered telephony provider, each a call.

Routes, handshake checks and adapters come from `ivr.media.registry`, so a new dialect needs
no change here. Each accepted socket gets a `CallSession`; a writer task serialises outbound
frames so concurrent senders (playback, dialog) never interleave partial writes, and it lives
in the same task group as the session, so neither outlives the other. Socket errors end the
call, never the server. Does network I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from ivr.events import HangUp
from ivr.media.base import MediaProtocol, WireMessage
from ivr.media.registry import PROVIDERS, Handshake, MediaProvider
from ivr.services import Services
from ivr.session import CallSession
from ivr.twiml import BUSY_TEXT
from ivr.web.busy_line import turn_away
from ivr.web.deps import calls_of, config_of, services_of
from ivr.web.limits import (
    MESSAGE_TOO_BIG,
    TRY_AGAIN_LATER,
    Refusals,
    connections_of,
    line_full,
    refusals_of,
)
from ivr.web.pacing import PacedProtocol
from ivr.web.rate import AudioPace, TokenBucket
from ivr.wsauth import POLICY_VIOLATION

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CloseFrame:
    """Close the socket after what is queued, with this code and reason."""

    code: int
    reason: str = ""


NORMAL_CLOSE = CloseFrame(1000)
Outbox = asyncio.Queue[WireMessage | CloseFrame | None]  # None: close normally (1000)


def media_router(providers: dict[str, MediaProvider] = PROVIDERS) -> APIRouter:
    """A router with `/<name>/media` for every provider (the registry's, by default)."""
    router = APIRouter(tags=["media"])
    for provider in providers.values():
        router.add_api_websocket_route(provider.path, _endpoint(provider),
                                       name=f"{provider.name}_media")
    return router


def _endpoint(provider: MediaProvider) -> Callable[[WebSocket], Awaitable[None]]:
    async def media_socket(ws: WebSocket) -> None:
        limiter, address = connections_of(ws.app), ws.client.host if ws.client else "unknown"
        capped = limiter.acquire(address)
        if capped:  # before anything else: a flood of sockets costs one counter each
            kind, reason = capped
            refusals_of(ws.app).refuse(kind, f"{ws.url.path} from {address}: {reason}")
            await _close_unserved(ws, TRY_AGAIN_LATER, reason)
            return
        full = line_full(ws)
        if full:  # admission control: calls in progress keep their share of the machine
            refusals_of(ws.app).refuse("line_busy", f"{ws.url.path} from {address}: {full}")
            try:
                prompts = services_of(ws).prompts
                await turn_away(ws, provider.protocol(), full,
                                lambda: prompts.get_samples(BUSY_TEXT))
            finally:
                limiter.release(address)
            return
        try:
            handshake = Handshake({k.lower(): v for k, v in ws.headers.items()}, ws.url.query,
                                  ws.url.scheme)
            refusal = provider.refusal(handshake, config_of(ws))
            if refusal:
                await _refuse(ws, refusal)
                return
            await serve_call(ws, provider.protocol())
        finally:
            limiter.release(address)

    media_socket.__doc__ = f"Media stream: {provider.description or provider.name}."
    return media_socket


async def _refuse(ws: WebSocket, reason: str) -> None:
    """Turn a media socket away before any audio: close 1008 with `reason`, no call record.

    The handshake is completed only so the close code and reason reach the client (refusing
    the upgrade itself shows up as a bare HTTP 403); not one message is read. No CallSession
    exists yet, so nothing is stored and the call list and `active_calls` never see it.
    """
    client = f"{ws.client.host}:{ws.client.port}" if ws.client else "unknown client"
    log.warning("refused %s from %s: %s", ws.url.path, client, reason)
    services_of(ws).metrics.rejected.labels(reason=reason[:60]).inc()
    refusals_of(ws.app).counts["auth"] += 1  # each one logged: they are worth reading
    await _close_unserved(ws, POLICY_VIOLATION, reason)


async def _close_unserved(ws: WebSocket, code: int, reason: str) -> None:
    """Complete the handshake only to close with `code` and `reason`; read nothing."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await ws.accept()
        await ws.close(code=code, reason=reason)


async def serve_call(ws: WebSocket, protocol: MediaProtocol) -> None:
    """Pump one media websocket through a CallSession until either side ends it."""
    await ws.accept()
    services = services_of(ws)
    outbox: Outbox = asyncio.Queue()

    async def close_socket() -> None:
        await outbox.put(None)

    config, refusals = services.config, refusals_of(ws.app)
    peer = f"{ws.url.path} from {ws.client.host if ws.client else 'unknown'}"
    allowed, heard_audio = _rate_limit(services, refusals, peer, outbox)
    session = CallSession(PacedProtocol(protocol, heard_audio), outbox.put, close_socket,
                          services, services.clock)
    calls = calls_of(ws)
    calls[id(session)] = session

    def no_start() -> None:  # the handshake deadline: a socket must start a call in time
        if session.call_id is not None or session.refusal:
            return
        reason = f"no start within {config.handshake_timeout_s:g} s"
        refusals.refuse("handshake_timeout", f"{peer}: {reason}")
        for message in protocol.send(HangUp(reason)):
            outbox.put_nowait(message)
        outbox.put_nowait(CloseFrame(POLICY_VIOLATION, reason))

    deadline = (services.clock.call_later(config.handshake_timeout_s, no_start)
                if config.handshake_timeout_s > 0 else None)
    if deadline is not None:  # over once the call starts, not left pending for the whole call
        session.on_started = deadline.cancel
    try:
        async with asyncio.TaskGroup() as group:
            writer = group.create_task(_write_loop(ws, outbox), name="media writer")
            try:
                await session.run(_read_messages(
                    ws, writer, config.max_message_bytes, outbox,
                    lambda d: refusals.refuse("message_too_big", f"{peer}: {d}"), allowed))
            finally:
                if deadline is not None:
                    deadline.cancel()
                if session.refusal:
                    refusals.refuse("call_id_in_use", f"{peer}: {session.refusal}")
                # the writer sends what is queued, then closes
                outbox.put_nowait(CloseFrame(POLICY_VIOLATION, session.refusal)
                                  if session.refusal else None)
    finally:
        calls.pop(id(session), None)
        if ws.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await ws.close()


def _rate_limit(services: Services, refusals: Refusals, peer: str, outbox: Outbox
                ) -> tuple[Callable[[], bool], Callable[[float], None]]:
    """A check for each message: False (after queueing a 1008 close, counted and logged)
    once the peer sends faster than `ws_max_msgs_per_s` allows (ivr/web/rate.py); and what
    the adapter calls with the seconds of caller audio a message carried: within real time
    (`ws_audio_lead_s` ahead at most) the message's token is given back."""
    config, clock = services.config, services.clock
    bucket = TokenBucket(config.ws_max_msgs_per_s, config.ws_msg_burst, clock.monotonic())
    pace = AudioPace(config.ws_audio_lead_s, clock.monotonic())

    def heard_audio(seconds: float) -> None:
        if pace.within(seconds, clock.monotonic()):
            bucket.refund()

    def allowed() -> bool:
        if bucket.take(clock.monotonic()):
            return True
        reason = f"too many messages (over {config.ws_max_msgs_per_s:g}/s)"
        refusals.refuse("message_rate", f"{peer}: {reason}")
        services.metrics.rejected.labels(reason="message rate").inc()
        outbox.put_nowait(CloseFrame(POLICY_VIOLATION, reason))
        return False

    return allowed, heard_audio


class _LoopTurn:
    """Whether the event loop ran its ready callbacks since this was made: a wait that
    suspended let every other call run; one that did not, did not."""

    __slots__ = ("passed",)

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.passed = False
        loop.call_soon(self._turned)

    def _turned(self) -> None:
        self.passed = True


async def _read_messages(ws: WebSocket, writer: asyncio.Task[None], max_bytes: int,
                         outbox: Outbox, too_big: Callable[[str], None],
                         allowed: Callable[[], bool] = lambda: True,
                         ) -> AsyncIterator[WireMessage]:
    """The platform's messages until it disconnects or the writer closed the socket.

    A message over `max_bytes` closes the socket with 1009: uvicorn refuses such frames on
    the wire (`ws_max_size`), and this holds under any other server too. A peer sending
    faster than `allowed` permits is closed with 1008.

    Each message is awaited directly: a task and an `asyncio.wait` per message (50 a second
    per call) cost the event loop more than the rest of reading it. When the writer ends
    while a receive is pending, its done-callback cancels that wait in the task iterating
    here, and the cancellation is taken back (`uncancel`) and ends the iteration."""
    task = asyncio.current_task()
    assert task is not None
    waiting = interrupted = False

    def writer_done(_: object) -> None:
        nonlocal interrupted
        if waiting and not interrupted:
            interrupted = True
            task.cancel()

    writer.add_done_callback(writer_done)
    try:
        loop = asyncio.get_running_loop()
        while not writer.done():  # done: the bot closed the call
            waiting = True
            turned = _LoopTurn(loop)
            try:
                message = await ws.receive()
            except asyncio.CancelledError:
                if interrupted and task.uncancel() == 0:
                    return  # the bot closed the call while we waited
                raise
            except (WebSocketDisconnect, RuntimeError):
                return
            finally:
                waiting = False
            if message["type"] == "websocket.disconnect":
                if message.get("code") == MESSAGE_TOO_BIG:  # uvicorn's own size check
                    too_big(f"a message over {max_bytes} bytes")
                return
            data: WireMessage | None = message.get("text")
            if data is None:
                data = message.get("bytes")
            if data is None:
                continue
            if not allowed():
                return
            size = len(data) if isinstance(data, bytes) or len(data) * 4 <= max_bytes \
                else len(data.encode("utf-8", "surrogatepass"))
            if max_bytes and size > max_bytes:
                too_big(f"a {size}-byte message (at most {max_bytes})")
                outbox.put_nowait(CloseFrame(MESSAGE_TOO_BIG, "message too big"))
                return
            yield data
            # A receive from a non-empty queue does not suspend: without this, a socket
            # whose messages piled up while its call waited (a slow database write) would be
            # drained in one go, starving the other calls and counting as a flood. A receive
            # that did wait already let the others run: no second turn of the loop for it.
            if not turned.passed:
                await asyncio.sleep(0)
    finally:
        writer.remove_done_callback(writer_done)


async def _write_loop(ws: WebSocket, outbox: Outbox) -> None:
    while True:
        message = await outbox.get()
        if message is None or isinstance(message, CloseFrame):
            close = message or NORMAL_CLOSE
            with contextlib.suppress(Exception):
                await ws.close(code=close.code, reason=close.reason)
            return
        try:
            if isinstance(message, str):
                await ws.send_text(message)
            else:
                await ws.send_bytes(message)
        except (WebSocketDisconnect, RuntimeError, OSError):
            return
