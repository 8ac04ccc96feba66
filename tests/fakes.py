"""The fakes tests share: a clock the test advances, a scripted recognizer, a tone TTS.

They stand in only for what makes a test slow or non-deterministic (real time, Whisper, the
speech synthesizer); the media adapters, VAD endpointing, matcher, policy, playback with marks
and the SQLite store stay real. Real engines are tested in their own (slower) tests beside
these.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from asr.base import Transcript

# ---- time -------------------------------------------------------------------------------------


@dataclass(order=True)
class _Timer:
    deadline: float
    seq: int
    loop: asyncio.AbstractEventLoop = field(compare=False)
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """Time stands still until the test calls `advance`; then due timers fire in order.

    Thread-safe: Starlette's TestClient runs the app's event loop in another thread, so a
    due callback is handed to the loop that registered it (`call_soon_threadsafe`) and runs
    there, never in the test's thread.
    """

    def __init__(self, start: float = 1000.0, epoch: float = 1_767_225_600.0) -> None:
        self._now = start
        self._epoch_offset = epoch - start
        self._timers: list[_Timer] = []
        self._seq = itertools.count()
        self._lock = threading.Condition()

    def monotonic(self) -> float:
        return self._now

    def time(self) -> float:
        return self._now + self._epoch_offset

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        timer = _Timer(self._now + max(0.0, delay), next(self._seq),
                       asyncio.get_running_loop(), callback)
        with self._lock:
            heapq.heappush(self._timers, timer)
            self._lock.notify_all()
        return timer

    def advance(self, seconds: float) -> None:
        """Move time forward, firing every timer that falls due, each at its own deadline."""
        target = self._now + seconds
        while True:
            with self._lock:
                if not self._timers or self._timers[0].deadline > target:
                    break
                timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self._now = max(self._now, timer.deadline)
            timer.loop.call_soon_threadsafe(timer.callback)
        self._now = target

    def has_timer(self, delay: float) -> bool:
        """Is a timer set `delay` seconds from now pending (not fired, not cancelled)?"""
        with self._lock:
            return self._armed(delay)

    def _armed(self, delay: float) -> bool:
        return any(not t.cancelled and abs(t.deadline - self._now - delay) < 1e-6
                   for t in self._timers)

    def wait_for_timer(self, delay: float, timeout_s: float = 5.0) -> None:
        """Block (in real time, at most `timeout_s`) until a timer set `delay` seconds from
        now exists: the app has reached the point where it waits on the clock."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._armed(delay), timeout_s):
                raise AssertionError(f"no {delay} s timer was set within {timeout_s} s")

    @property
    def pending(self) -> int:
        """Timers not yet fired or cancelled."""
        with self._lock:
            return sum(not t.cancelled for t in self._timers)


# ---- recognition ------------------------------------------------------------------------------


class ScriptedRecognizer:
    """Returns the next scripted text at each utterance end (the engine's default once the
    script runs out)."""

    def __init__(self, engine: ScriptedEngine) -> None:
        self._engine = engine
        self._samples = 0
        self._context: str | None = None
        self._choices: tuple[str, ...] = ()

    def set_context(self, text: str | None) -> None:
        """What the caller just heard (as Whisper's recognizer takes it): noted per decode."""
        self._context = text

    def set_choices(self, choices: tuple[str, ...] | None) -> None:
        """The replies expected next (as Whisper's recognizer takes them): noted per decode."""
        self._choices = tuple(choices or ())

    def accept_audio(self, samples: np.ndarray) -> str | None:
        self._samples += len(samples)
        return None

    def finish(self) -> Transcript:
        audio_s, self._samples = self._samples / self._engine.sample_rate, 0
        self._engine.contexts.append(self._context)
        self._engine.choices.append(self._choices)
        text, *alternatives = self._engine.next_text().split(ScriptedEngine.OR)
        confidence = self._engine.confidence if text else None
        return Transcript(text, confidence, audio_s, 0.001, self._engine.name,
                          tuple(alternatives))

    def reset(self) -> None:
        self._samples = 0


class ScriptedEngine:
    """A recognizer engine that "hears" the given texts, one per decoded utterance.

    The VAD endpointer in front of it is real, so the caller's audio still decides where an
    utterance starts and ends; only the words are scripted. A text of `CRASH` makes that
    decode raise, as a broken model would; `HANG` makes it block until `release()` (a wedged
    native library), so the stream's deadline is what ends the wait. Speculative decodes are
    turned off by the session config in tests that use it (`speculate_after_s=0`), so one
    utterance is one decode.
    """

    name = "scripted"
    sample_rate = 16000
    CRASH = "<crash>"
    HANG = "<hang>"
    OR = " | "  # "best | next": the engine's n-best readings of one utterance, best first

    def __init__(self, texts: Iterable[str] = (), default: str = "") -> None:
        self._texts = list(texts)
        self.default = default
        self.confidence = 0.9  # what every transcript claims (lower it to test doubt)
        self._lock = threading.Lock()
        self.heard: list[str] = []
        self.contexts: list[str | None] = []  # the context each utterance was decoded in
        self.choices: list[tuple[str, ...]] = []  # the replies expected of each utterance
        self._released = threading.Event()
        self.hanging = threading.Event()  # set once a HANG decode has begun

    def release(self) -> None:
        """Let every hung decode return (a test's clean-up: frees the worker thread)."""
        self._released.set()

    def say(self, *texts: str) -> None:
        """Queue what the caller will be heard saying next."""
        with self._lock:
            self._texts.extend(texts)

    def next_text(self) -> str:
        with self._lock:
            text = self._texts.pop(0) if self._texts else self.default
        if text == self.CRASH:
            raise RuntimeError("decoder exploded")
        if text == self.HANG:
            self.hanging.set()
            self._released.wait(30.0)
            text = ""
        self.heard.append(text)
        return text

    def new_recognizer(self, phrases: list[str] | None = None) -> ScriptedRecognizer:
        return ScriptedRecognizer(self)


# ---- speech synthesis -------------------------------------------------------------------------


class ToneTts:
    """Renders each text as a short tone whose length grows with the text, and remembers it.

    `spoken` lists every text in the order it was rendered, so a test can tell which prompt
    the bot played without decoding audio. `seconds_per_char` sets the length: the default
    keeps every prompt under one 100 ms playback chunk (one media frame and one mark per
    prompt); a longer one makes prompts span many chunks (barge-in tests).
    """

    def __init__(self, sample_rate: int = 8000, seconds_per_char: float = 0.0,
                 min_s: float = 0.05) -> None:
        self.sample_rate = sample_rate
        self.seconds_per_char = seconds_per_char
        self.min_s = min_s
        self.spoken: list[str] = []
        self._lock = threading.Lock()

    def get_samples(self, text: str) -> np.ndarray:
        with self._lock:
            self.spoken.append(text)
        return self.render(text)

    def stream_samples(self, text: str) -> Iterator[np.ndarray]:
        """The same audio as `get_samples`, in one piece."""
        yield self.get_samples(text)

    def render(self, text: str) -> np.ndarray:
        """The audio of `text`, without counting it as spoken."""
        seconds = max(self.min_s, self.seconds_per_char * len(text))
        t = np.arange(int(seconds * self.sample_rate)) / self.sample_rate
        return (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)

    def prerender(self, texts: Iterable[str], progress: object = None) -> None:
        """Nothing to pre-render: tones are made on demand."""
