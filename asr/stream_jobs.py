"""The pieces a call's recognition stream passes to its decode worker, and its timers.

`asr.stream.RecognitionStream` queues one job at a time per call: audio so far, an
utterance to finish (`Finish`, possibly with the `Speculation` started in the caller's
pause), or a phrase list to apply (`SetPhrases`). `EngineRate` brings speech from the
endpointer's rate to the engine's inside the worker, not on the event loop. Kept apart from
the stream's control flow so each stays small; nothing here does I/O.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from asr.base import Transcript
from asr.events import UtteranceEnded
from pcm.resample import Resampler, resample

__all__ = ["Cancellable", "EngineRate", "Finish", "LoopTimer", "RecognizerHung", "SetContext",
           "SetPhrases", "Speculation", "Timer", "WholeUtteranceRecognizer"]


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Timer(Protocol):
    """Schedules a callback on the running loop after a delay (`ivr.clock.Clock` is one)."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable: ...


class LoopTimer:
    """The event loop's own timers: the default when no clock is injected."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable:
        return asyncio.get_running_loop().call_later(max(0.0, delay), callback)


class RecognizerHung(Exception):
    """The recognizer gave no result within the stream's `decode_timeout_s`."""


@runtime_checkable
class WholeUtteranceRecognizer(Protocol):
    """A recognizer that decodes a whole utterance given at once, independent of its buffer."""

    def decode_utterance(self, pcm: np.ndarray) -> Transcript:
        """Decode `pcm`; thread-safe, and the same samples give the same transcript."""


@dataclass(frozen=True, eq=False)
class Speculation:
    """A decode started during a pause: valid only for exactly these samples."""

    samples: np.ndarray
    speech_samples: int  # the endpointer's speech_samples when it started
    recognizer: object
    future: Future[Transcript]


@dataclass(frozen=True, eq=False)
class Finish:
    """Decode job: feed the utterance's remaining audio, then finish it (or, for a whole-
    utterance recognizer, decode `remainder` as the utterance, or take `speculation`)."""

    remainder: np.ndarray
    utterance: UtteranceEnded
    speculation: Speculation | None = None


@dataclass(frozen=True)
class SetPhrases:
    phrases: list[str] | None


@dataclass(frozen=True)
class SetContext:
    """What the caller just heard, for engines that read it (`asr.base.supports_context`),
    and the replies it expects, for engines that score them (`asr.base.supports_choices`)."""

    text: str | None
    choices: tuple[str, ...] = ()


class EngineRate:
    """Speech at the endpointer's rate to the engine's, in the decode worker.

    Streamed pieces of one utterance go through one resampler (the recognizer's jobs run one
    at a time per call, in order), flushed at the utterance's end, so the engine gets the
    same samples as the utterance resampled whole; whole-utterance decodes resample their
    span at once (no state: a speculative decode may run beside another)."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        self.src_rate, self.dst_rate = src_rate, dst_rate
        self._same = src_rate == dst_rate
        self._stream = None if self._same else Resampler(src_rate, dst_rate)

    def whole(self, samples: np.ndarray) -> np.ndarray:
        return samples if self._same else resample(samples, self.src_rate, self.dst_rate)

    def stream(self, samples: np.ndarray) -> np.ndarray:
        return samples if self._stream is None else self._stream.process(samples)

    def finish(self, samples: np.ndarray) -> np.ndarray:
        """The utterance's last piece and the resampler's held-back tail; ready for the next."""
        if self._stream is None:
            return samples
        head = self._stream.process(samples) if samples.size else samples[:0]
        return np.concatenate([head, self._stream.flush()])

    def reset(self) -> None:
        if self._stream is not None:
            self._stream = Resampler(self.src_rate, self.dst_rate)
