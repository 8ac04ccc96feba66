"""Turning a call away at the call limit (`IVR_MAX_CALLS`) with words, not only a close code.

Twilio's webhook already answers a busy call with `<Say>` (ivr.twiml.busy_twiml); a platform
that connects the media stream directly (L16 gateways, a Twilio stream opened without our
webhook) would otherwise hear silence and a dropped line. So the socket is accepted, its start
message awaited for a moment (the audio format is only known from it), the recorded busy prompt
played, and once the platform says it has played it (a mark) or its length has passed, the bot
hangs up and closes with 1013 (try again later). No call record: the call was never taken.
Bounded: a few seconds and a few messages; a socket that never starts is closed at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import numpy as np
from fastapi import WebSocket, WebSocketDisconnect

from ivr.events import (
    CallerHungUp,
    CallStarted,
    HangUp,
    MarkPlayed,
    OutboundCommand,
    SendAudio,
    SendMark,
)
from ivr.media.base import MediaProtocol

log = logging.getLogger(__name__)
TRY_AGAIN_LATER = 1013
START_WITHIN_S = 3.0
MAX_MESSAGES = 200  # read before the start or the mark: a flood is not waited on
PLAYED_GRACE_S = 2.0
MARK = "line-busy"


async def turn_away(ws: WebSocket, protocol: MediaProtocol, reason: str,
                    busy_audio: Callable[[], np.ndarray]) -> None:
    """Say the line is busy on this media socket, then close it with 1013 and `reason`.
    `busy_audio()` gives the prompt as 8 kHz int16 (blocking: run off the loop)."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError, TimeoutError):
        await ws.accept()
        if await _until(ws, protocol, lambda e: isinstance(e, CallStarted), START_WITHIN_S):
            samples = await asyncio.to_thread(busy_audio)
            await _send(ws, protocol, SendAudio(samples, 8000), SendMark(MARK))
            await _until(ws, protocol, _played, len(samples) / 8000 + PLAYED_GRACE_S)
            await _send(ws, protocol, HangUp(reason))
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await ws.close(code=TRY_AGAIN_LATER, reason=reason)


def _played(event: object) -> bool:
    return isinstance(event, MarkPlayed) and event.name == MARK


async def _send(ws: WebSocket, protocol: MediaProtocol, *commands: OutboundCommand) -> None:
    for command in commands:
        for message in protocol.send(command):
            if isinstance(message, str):
                await ws.send_text(message)
            else:
                await ws.send_bytes(message)


async def _until(ws: WebSocket, protocol: MediaProtocol, wanted: Callable[[object], bool],
                 timeout_s: float) -> bool:
    """Read the platform's messages until one gives a `wanted` event; False if the time or
    the message budget runs out, or the caller hangs up first."""
    try:
        async with asyncio.timeout(timeout_s):
            for _ in range(MAX_MESSAGES):
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return False
                text, data = message.get("text"), message.get("bytes")
                events = (protocol.receive_text(text) if text is not None
                          else protocol.receive_bytes(data or b""))
                for event in events:
                    if wanted(event):
                        return True
                    if isinstance(event, CallerHungUp):
                        return False
    except TimeoutError:
        pass
    return False
