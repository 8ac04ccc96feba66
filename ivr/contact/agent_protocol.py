"""The agent desk's websocket protocol (`WS /agent/ws`), parsed without sockets. Pure.

Text frames are JSON objects with a `type`; binary frames are the agent's microphone, 16-bit
little-endian mono PCM at 8 kHz, in any length up to `MAX_AUDIO_BYTES` (the desk sends 20 ms).
From the desk:
    {"type": "status", "status": "available" | "wrap-up" | "offline"}
    {"type": "accept", "call_id": "…"}      {"type": "reject", "call_id": "…"}
    {"type": "hangup"}                      {"type": "transfer", "department": "…", "note": "…"}
    {"type": "wrapup", "note": "…"}         {"type": "ping"}
To the desk: welcome, status, offer (with the caller's context), offer_withdrawn, connected,
call_ended, error, pong — and binary frames of the caller's audio in the same format.
Anything else is an `AgentProtocolError` with a message the desk shows; the socket stays open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_TEXT_BYTES = 8192
MAX_AUDIO_BYTES = 16000  # 1 s at 8 kHz, 16 bit
MAX_NOTE = 2000
DESK_STATUSES = ("available", "wrap-up", "offline")


@dataclass(frozen=True)
class SetStatus:
    status: str


@dataclass(frozen=True)
class Accept:
    call_id: str


@dataclass(frozen=True)
class Reject:
    call_id: str


@dataclass(frozen=True)
class HangUpCall:
    pass


@dataclass(frozen=True)
class TransferTo:
    department: str
    note: str


@dataclass(frozen=True)
class WrapUp:
    note: str


@dataclass(frozen=True)
class Ping:
    pass


@dataclass(frozen=True)
class AgentAudio:
    pcm: bytes


@dataclass(frozen=True)
class AgentProtocolError:
    message: str


AgentCommand = (SetStatus | Accept | Reject | HangUpCall | TransferTo | WrapUp | Ping
                | AgentAudio | AgentProtocolError)


def parse_binary(data: bytes) -> AgentCommand:
    if len(data) > MAX_AUDIO_BYTES:
        return AgentProtocolError(f"audio frame of {len(data)} bytes: at most {MAX_AUDIO_BYTES}")
    if len(data) % 2:
        return AgentProtocolError("audio frames are 16-bit samples: an even number of bytes")
    return AgentAudio(data)


def _text(body: dict[str, Any], name: str, limit: int = 200) -> str | None:
    value = body.get(name)
    return value[:limit] if isinstance(value, str) else None


def parse_text(text: str) -> AgentCommand:
    if len(text.encode("utf-8", "replace")) > MAX_TEXT_BYTES:
        return AgentProtocolError(f"message over {MAX_TEXT_BYTES} bytes")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return AgentProtocolError("messages are JSON objects with a \"type\"")
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return AgentProtocolError("messages are JSON objects with a \"type\"")
    kind = body["type"]
    if kind == "status":
        status = _text(body, "status")
        if status not in DESK_STATUSES:
            return AgentProtocolError(f"status must be one of {', '.join(DESK_STATUSES)}")
        return SetStatus(status)
    if kind in ("accept", "reject"):
        call_id = _text(body, "call_id")
        if not call_id:
            return AgentProtocolError(f"{kind} needs the offered \"call_id\"")
        return Accept(call_id) if kind == "accept" else Reject(call_id)
    if kind == "hangup":
        return HangUpCall()
    if kind == "transfer":
        department = _text(body, "department")
        if not department:
            return AgentProtocolError("transfer needs a \"department\"")
        return TransferTo(department, _text(body, "note", MAX_NOTE) or "")
    if kind == "wrapup":
        return WrapUp(_text(body, "note", MAX_NOTE) or "")
    if kind == "ping":
        return Ping()
    return AgentProtocolError(f"unknown message type {kind[:40]!r}")
