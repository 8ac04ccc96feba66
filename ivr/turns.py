"""Assembles one caller turn (what was heard, matched and answered, with timings) for the store.

A turn opens when the caller starts speaking or presses a key, collects the recognizer's text,
the match and everything the bot says in reply. It is written as soon as the bot answers and
rewritten as the reply fills in (more prompts, the time its first audio left), so a crash or a
dropped socket at any point keeps what was heard. Writes to the store; no other I/O.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from asr.base import Transcript
from dialog.types import MatchResult
from ivr.clock import SYSTEM_CLOCK, Clock
from ivr.store import TurnRecord
from ivr.store_async import AsyncCallStore


@dataclass
class _OpenTurn:
    started_at: float
    caller_text: str = ""
    match: MatchResult | None = None
    transcript: Transcript | None = None
    speech_end_at: float | None = None
    recognized_at: float | None = None
    reply_started_at: float | None = None
    bot_text: list[str] = field(default_factory=list)
    barged_in: bool = False
    dtmf: str | None = None
    idx: int | None = None


class TurnTracker:
    """Turns of one call: `pending` is being heard, `current` has been answered."""

    def __init__(self, store: AsyncCallStore, call_id: str, end_silence_s: float,
                 clock: Clock = SYSTEM_CLOCK,
                 on_latency: Callable[[float], None] | None = None) -> None:
        """`on_latency` hears each turn's reply latency in seconds (the /metrics histogram)."""
        self._store = store
        self._on_latency = on_latency
        self._clock = clock
        self._call_id = call_id
        self._end_silence_s = end_silence_s
        self._pending: _OpenTurn | None = None
        self._current: _OpenTurn | None = None
        self._barge_pending = False
        self._lock = asyncio.Lock()

    def speech_started(self) -> None:
        if self._pending is None:
            self._pending = _OpenTurn(started_at=self._clock.time())

    def barged_in(self) -> None:
        self._barge_pending = True

    def begin_key(self, digit: str) -> None:
        self._pending = _OpenTurn(started_at=self._clock.time(), dtmf=digit)

    def recognized(self, transcript: Transcript, match: MatchResult,
                   wait_s: float | None = None) -> None:
        """`wait_s`: how long the result took after the endpoint (the decode time when not
        given; a speculative decode that started early took less)."""
        now = self._clock.time()
        turn = self._pending or _OpenTurn(started_at=now)
        self._pending = turn
        turn.caller_text = transcript.text
        turn.transcript = transcript
        turn.match = match
        turn.recognized_at = now
        waited = transcript.decode_s if wait_s is None else wait_s
        turn.speech_end_at = now - waited - self._end_silence_s
        turn.barged_in = turn.barged_in or self._barge_pending

    async def bot_said(self, text: str) -> None:
        """A Say action belongs to the caller turn that triggered it (the greeting has none)."""
        nxt = self._pending
        if nxt is not None and (nxt.match is not None or nxt.dtmf is not None):
            self._pending = None
            self._barge_pending = False
            self._current = nxt
        if self._current is not None:
            self._current.bot_text.append(text)
            await self._write(self._current)

    async def reply_started(self) -> None:
        """The first audio of a reply left: the current turn's latency is now known."""
        turn = self._current
        if turn is not None and turn.reply_started_at is None:
            turn.reply_started_at = self._clock.time()
            if self._on_latency is not None and turn.speech_end_at is not None:
                self._on_latency(turn.reply_started_at - turn.speech_end_at)
            await self._write(turn)

    async def flush(self) -> None:
        """Write every turn not yet written (at call end)."""
        nxt, self._pending, self._current = self._pending, None, None
        if nxt is not None and (nxt.match is not None or nxt.dtmf is not None):
            await self._write(nxt)  # heard, but the call ended before the bot could answer

    async def _write(self, turn: _OpenTurn) -> None:
        async with self._lock:  # one row per turn even when two writers race to create it
            await self._write_locked(turn)

    async def _write_locked(self, turn: _OpenTurn) -> None:
        m, t = turn.match, turn.transcript
        latency = None
        if turn.reply_started_at is not None and turn.speech_end_at is not None:
            latency = (turn.reply_started_at - turn.speech_end_at) * 1000
        record = TurnRecord(
            caller_text=turn.caller_text, intent=m.intent if m else None,
            score=m.score if m else 0.0, department=m.department if m else None,
            action=m.action if m else ("dtmf" if turn.dtmf else "none"),
            bot_text=" ".join(turn.bot_text), started_at=turn.started_at,
            speech_end_at=turn.speech_end_at, recognized_at=turn.recognized_at,
            reply_started_at=turn.reply_started_at,
            asr_ms=t.decode_s * 1000 if t else None, latency_ms=latency,
            barged_in=turn.barged_in, dtmf=turn.dtmf,
            confidence=t.confidence if t else None)
        if turn.idx is None:
            turn.idx = await self._store.add_turn(self._call_id, record)
        else:
            await self._store.replace_turn(self._call_id, turn.idx, record)
