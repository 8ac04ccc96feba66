"""Outbound audio for one call: paced in real time in short messages, tracked until heard.

Audio leaves in `chunk_ms` messages (20 ms, as the platform itself sends) paced against a
monotonic deadline: a message goes out when the audio already sent would finish playing
within `lead_s`, so the platform always holds about `lead_s` queued and the wait between two
messages stays one message long, with no drift from sleeping. Marks are sparse: one after
every `mark_every_ms` of audio and one after each utterance's last message (marks cost a
message each way, and only the last one of an utterance is needed).

Playback is tracked, not assumed: an utterance counts as heard only when the platform echoes the
mark after its last chunk. On barge-in `interrupt()` drops everything queued, sends `clear`, and
reports the cut utterances as finished-but-interrupted. A watchdog treats an utterance as heard
if its last mark never comes back (a platform that does not echo marks must not hang the call).
`drain()` waits until everything sent has been heard, so a call is handed over or hung up only
after its last words played. Time comes from the injected clock (`ivr.clock`), so tests run
it under a fake one. Does socket I/O only through the `send` callback it is given.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np

from ivr.clock import SYSTEM_CLOCK, Clock, TimerHandle, wait_until
from ivr.events import ClearAudio, OutboundCommand, SendAudio, SendMark

log = logging.getLogger(__name__)

# A message due within this much is sent now. The event loop's timers fire up to about a
# millisecond early (uvloop counts whole milliseconds on a clock read once per loop turn), so
# without it most messages cost a second and third wake-up of the sender to wait out the
# rest; sending 2 ms early is nothing against the lead the platform holds.
EARLY_S = 0.002

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
    watchdog: TimerHandle | None = field(default=None, repr=False)
    done: asyncio.Event | None = field(default=None, repr=False)  # set by drain(): a marker
    open: bool = False  # more audio is coming (a streamed utterance still being rendered)
    dropped: bool = False  # cut by barge-in or the end of the call


class PlaybackStream:
    """The open end of a streamed utterance: `append` each rendered piece, then `finish`.

    Appending to an utterance that was cut (barge-in, hang-up) does nothing; `dropped` tells
    the producer it may stop rendering.
    """

    def __init__(self, playback: Playback, utt: _Utterance) -> None:
        self._playback = playback
        self._utt = utt

    @property
    def dropped(self) -> bool:
        return self._utt.dropped

    def append(self, samples: np.ndarray) -> None:
        if not self._utt.dropped and self._utt.open:
            self._utt.chunks += self._playback._split(samples)
            self._playback._nudge()

    def finish(self) -> None:
        """No more audio: the utterance ends (its last mark goes out) after what was sent."""
        if self._utt.open:
            self._utt.open = False
            self._playback._nudge()


class Playback:
    """Queue of bot utterances for one call, sent chunk by chunk no faster than real time.

    `chunk_ms` is the length of one outbound audio message, `mark_every_ms` how much audio
    passes between intermediate marks (0: a mark only after each utterance's last chunk).
    """

    def __init__(
        self,
        send: SendFn,
        on_heard: HeardFn,
        on_started: StartedFn | None = None,
        *,
        sample_rate: int = 8000,
        chunk_ms: int = 20,
        mark_every_ms: int = 200,
        lead_s: float = 0.3,
        mark_grace_s: float = 3.0,
        clock: Clock = SYSTEM_CLOCK,
        on_underrun: Callable[[float], None] | None = None,
    ) -> None:
        self._send = send
        self._on_underrun = on_underrun
        self._on_heard = on_heard
        self._on_started = on_started
        self._rate = sample_rate
        self._chunk = max(1, sample_rate * chunk_ms // 1000)
        # an intermediate mark after every this many chunks (the last chunk always has one)
        self._mark_every = max(1, round(mark_every_ms / chunk_ms)) if mark_every_ms > 0 else 0
        self._lead_s = lead_s
        self._grace_s = mark_grace_s
        self._clock = clock
        self._queue: deque[_Utterance] = deque()
        self._awaiting: dict[str, _Utterance] = {}  # last mark name -> utterance sent in full
        self._ids = itertools.count(1)
        self._nudged = False  # something changed since the sender last looked (see `_nudge`)
        self._waiter: asyncio.Future[None] | None = None
        self._play_end = 0.0  # when the audio sent so far finishes playing at the platform

    # ---- control -------------------------------------------------------------------------

    def close(self) -> None:
        """Forget everything queued or awaited (the call is over); `run()` is cancelled by
        whoever runs it."""
        for utt in [*self._queue, *self._awaiting.values()]:
            utt.dropped = True
            if utt.watchdog:
                utt.watchdog.cancel()
            if utt.done:
                utt.done.set()
        self._awaiting.clear()
        self._queue.clear()

    def enqueue(self, key: str, samples: np.ndarray) -> None:
        """Queue an utterance (int16 at the playback rate) behind whatever is playing."""
        self._queue.append(_Utterance(next(self._ids), key, self._split(samples) or
                                      [samples[:0]]))
        self._nudge()

    def open_stream(self, key: str, first: np.ndarray) -> PlaybackStream:
        """Queue an utterance whose audio is still being rendered: `first` plays as soon as
        its turn comes, the rest as the stream's `append` brings it; the utterance counts as
        heard when the mark after its last piece returns (after `finish`)."""
        utt = _Utterance(next(self._ids), key, self._split(first), open=True)
        self._queue.append(utt)
        self._nudge()
        return PlaybackStream(self, utt)

    def _split(self, samples: np.ndarray) -> list[np.ndarray]:
        n = self._chunk
        return [samples[i : i + n] for i in range(0, len(samples), n)]

    async def drain(self, timeout_s: float) -> bool:
        """Wait until the platform has played everything queued so far, or `timeout_s`.

        A mark with no audio goes behind the queue; its echo means all audio before it was
        heard. Returns False on timeout (a platform that does not echo marks, a gone peer).
        """
        done = asyncio.Event()
        self._queue.append(_Utterance(next(self._ids), "", [np.zeros(0, np.int16)], done=done))
        self._nudge()
        return await wait_until(self._clock, done, timeout_s)

    @property
    def speaking(self) -> bool:
        """True while bot speech is queued or sent but not yet confirmed as played."""
        return any(u.done is None for u in [*self._queue, *self._awaiting.values()])

    async def interrupt(self) -> list[str]:
        """Barge-in: drop queued audio, tell the platform to clear, report what was cut."""
        cut = list(self._queue) + list(self._awaiting.values())
        if not any(u.done is None for u in cut):
            return []  # nothing of the bot's speech to cut: no clear
        for utt in cut:
            utt.dropped = True
        self._queue.clear()
        self._awaiting.clear()
        self._play_end = self._clock.monotonic()
        self._nudge()
        await self._send(ClearAudio())
        for utt in cut:
            if utt.watchdog:
                utt.watchdog.cancel()
            if utt.done:
                utt.done.set()  # a cleared marker: nothing before it will play any more
            else:
                self._on_heard(utt.key, True)
        return [u.key for u in cut if u.done is None]

    def mark_played(self, name: str) -> None:
        """The platform echoed a mark; the utterance is heard when its last mark returns."""
        utt = self._awaiting.pop(name, None)
        if utt is None:
            return  # an intermediate chunk mark, or one of an interrupted utterance
        if utt.watchdog:
            utt.watchdog.cancel()
        if utt.done:
            utt.done.set()
        else:
            self._on_heard(utt.key, False)

    # ---- sender loop ---------------------------------------------------------------------

    def _nudge(self) -> None:
        """Wake the sender: audio was queued or appended, a stream ended, or an interrupt."""
        self._nudged = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _sleep(self, timeout_s: float | None = None) -> None:
        """Until the next `_nudge` or `timeout_s` on the clock. One future and at most one
        timer per wait: this runs 50 times a second per speaking call, so no task and no
        `asyncio.wait` (what `wait_until` would cost)."""
        if self._nudged:
            self._nudged = False
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        handle = None
        if timeout_s is not None:
            def expire() -> None:
                if not waiter.done():
                    waiter.set_result(None)
            handle = self._clock.call_later(timeout_s, expire)
        try:
            await waiter
        finally:
            self._waiter = None
            self._nudged = False
            if handle is not None:
                handle.cancel()

    async def run(self) -> None:
        """Send queued audio until cancelled (the call session runs this as one of its tasks)."""
        while True:
            if not self._queue:
                await self._sleep()
                continue
            utt = self._queue[0]
            await self._send_next_chunk(utt)

    async def _send_next_chunk(self, utt: _Utterance) -> None:
        if utt.open and len(utt.chunks) - utt.sent <= 1:
            # A streamed utterance keeps its last chunk back until more audio or the end
            # comes, so that chunk can carry the utterance's last mark (what it sends is
            # then the same as for an utterance queued whole).
            await self._sleep()
            return
        if utt.sent == len(utt.chunks):
            utt.chunks.append(np.zeros(0, np.int16))  # a stream that ended with no audio
        now = self._clock.monotonic()
        ahead = self._play_end - now
        if ahead > self._lead_s + EARLY_S:
            # Woken early by an interrupt (the next reply need not wait out the cut one's
            # pacing) or by new audio; either way the queue is checked again.
            await self._sleep(ahead - self._lead_s)
            return
        chunk = utt.chunks[utt.sent]
        index = utt.sent
        mark = f"u{utt.uid}.{index}"
        if utt.sent == 0 and self._on_started and utt.done is None:
            self._on_started(utt.key, now)
        elif utt.sent and now > self._play_end and self._on_underrun:
            # The platform ran out of audio mid-utterance: the caller heard this much silence
            # (a stalled loop or a slow voice). With the lead queued, late sends are not gaps.
            self._on_underrun(now - self._play_end)
        self._play_end = max(self._play_end, now) + len(chunk) / self._rate
        utt.sent += 1
        last = utt.sent == len(utt.chunks) and not utt.open
        if last:
            self._queue.popleft()
            utt.last_mark = mark
            self._awaiting[mark] = utt
            delay = self._play_end - now + self._grace_s
            utt.watchdog = self._clock.call_later(delay, lambda: self._mark_lost(mark))
        if len(chunk):
            await self._send(SendAudio(chunk, self._rate))
        if last or (self._mark_every and (index + 1) % self._mark_every == 0):
            await self._send(SendMark(mark))

    def _mark_lost(self, name: str) -> None:
        if name in self._awaiting:
            log.warning("mark %s was not echoed in time; treating the utterance as played", name)
            self.mark_played(name)
