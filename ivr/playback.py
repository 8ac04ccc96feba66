"""Outbound audio for one call: paced in real time, a mark after every chunk, tracked until heard.

Playback is tracked, not assumed: an utterance counts as heard only when the platform echoes the
mark after its last chunk. On barge-in `interrupt()` drops everything queued, sends `clear`, and
reports the cut utterances as finished-but-interrupted. A watchdog treats an utterance as heard
if its last mark never comes back (a platform that does not echo marks must not hang the call).
Does socket I/O only through the `send` callback it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np

from ivr.events import ClearAudio, OutboundCommand, SendAudio, SendMark

log = logging.getLogger(__name__)

SendFn = Callable[[OutboundCommand], Awaitable[None]]
HeardFn = Callable[[str, bool], None]
StartedFn = Callable[[str, float], None]


@dataclass
class _Utterance:
    uid: int
    key: str
    chunks: list[np.ndarray]
    sent: int = 0
    last_mark: str = ""
    watchdog: asyncio.TimerHandle | None = field(default=None, repr=False)


class Playback:
    """Queue of bot utterances for one call, sent chunk by chunk no faster than real time."""

    def __init__(
        self,
        send: SendFn,
        on_heard: HeardFn,
        on_started: StartedFn | None = None,
        *,
        sample_rate: int = 8000,
        chunk_ms: int = 100,
        lead_s: float = 0.3,
        mark_grace_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._on_heard = on_heard
        self._on_started = on_started
        self._rate = sample_rate
        self._chunk = max(1, sample_rate * chunk_ms // 1000)
        self._lead_s = lead_s
        self._grace_s = mark_grace_s
        self._clock = clock
        self._queue: deque[_Utterance] = deque()
        self._awaiting: dict[str, _Utterance] = {}  # last mark name -> utterance sent in full
        self._ids = itertools.count(1)
        self._wakeup = asyncio.Event()
        self._play_end = 0.0  # when the audio sent so far finishes playing at the platform
        self._task: asyncio.Task[None] | None = None

    # ---- control -------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="playback")

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for utt in self._awaiting.values():
            if utt.watchdog:
                utt.watchdog.cancel()
        self._awaiting.clear()
        self._queue.clear()

    def enqueue(self, key: str, samples: np.ndarray) -> None:
        """Queue an utterance (int16 at the playback rate) behind whatever is playing."""
        n = self._chunk
        chunks = [samples[i : i + n] for i in range(0, len(samples), n)] or [samples[:0]]
        self._queue.append(_Utterance(next(self._ids), key, chunks))
        self._wakeup.set()

    @property
    def speaking(self) -> bool:
        """True while audio is queued or sent but not yet confirmed as played."""
        return bool(self._queue or self._awaiting)

    async def interrupt(self) -> list[str]:
        """Barge-in: drop queued audio, tell the platform to clear, report what was cut."""
        cut = list(self._queue) + list(self._awaiting.values())
        if not cut:
            return []
        self._queue.clear()
        self._awaiting.clear()
        self._play_end = self._clock()
        await self._send(ClearAudio())
        for utt in cut:
            if utt.watchdog:
                utt.watchdog.cancel()
            self._on_heard(utt.key, True)
        return [u.key for u in cut]

    def mark_played(self, name: str) -> None:
        """The platform echoed a mark; the utterance is heard when its last mark returns."""
        utt = self._awaiting.pop(name, None)
        if utt is None:
            return  # an intermediate chunk mark, or one of an interrupted utterance
        if utt.watchdog:
            utt.watchdog.cancel()
        self._on_heard(utt.key, False)

    # ---- sender loop ---------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            utt = self._queue[0]
            await self._send_next_chunk(utt)

    async def _send_next_chunk(self, utt: _Utterance) -> None:
        now = self._clock()
        ahead = self._play_end - now
        if ahead > self._lead_s:
            await asyncio.sleep(ahead - self._lead_s)
            return  # re-check the queue: an interrupt may have emptied it meanwhile
        chunk = utt.chunks[utt.sent]
        mark = f"u{utt.uid}.{utt.sent}"
        if utt.sent == 0 and self._on_started:
            self._on_started(utt.key, now)
        self._play_end = max(self._play_end, now) + len(chunk) / self._rate
        utt.sent += 1
        if utt.sent == len(utt.chunks):
            self._queue.popleft()
            utt.last_mark = mark
            self._awaiting[mark] = utt
            delay = self._play_end - now + self._grace_s
            utt.watchdog = asyncio.get_running_loop().call_later(delay, self._mark_lost, mark)
        if len(chunk):
            await self._send(SendAudio(chunk, self._rate))
        await self._send(SendMark(mark))

    def _mark_lost(self, name: str) -> None:
        if name in self._awaiting:
            log.warning("mark %s was not echoed in time; treating the utterance as played", name)
            self.mark_played(name)
