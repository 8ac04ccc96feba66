"""Per-call async adapter: caller audio in, speech events and transcripts out.

`feed()` is synchronous and cheap (resampling to the engine's rate and endpointing), so the
session can call it for every 20 ms media frame on the event loop. Each ended utterance is
decoded on the shared thread pool via `loop.run_in_executor`, never on the loop, one at a time
per call so finals come out in utterance order while other calls use the other workers.
Engine errors become `RecognitionFailed` events instead of exceptions. No I/O of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from asr.base import RecognizerEngine, Transcript
from asr.endpointing import Endpointer, EndpointerConfig
from asr.events import (
    BargeIn,
    EndpointEvent,
    Final,
    RecognitionFailed,
    SpeechStarted,
    StreamEvent,
    UtteranceEnded,
)
from ivr.audio import Resampler, as_int16

__all__ = [
    "BargeIn",
    "Final",
    "RecognitionFailed",
    "RecognitionStream",
    "SpeechStarted",
    "StreamEvent",
    "make_executor",
]

log = logging.getLogger(__name__)

_END = object()  # closes the events() iterator


def make_executor(max_workers: int = 2) -> ThreadPoolExecutor:
    """The bounded pool every call's decoding shares (size it to the CPU cores)."""
    return ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="asr")


class RecognitionStream:
    """One call's recognition: `feed()` audio, iterate `events()`, `flush()` or `close()`.

    Endpointer settings (end_silence_s, min_speech_s, max_utterance_s, vad_aggressiveness,
    preroll_s, energy_floor_dbfs) pass through as keyword arguments. `feed` and `flush`
    must be called on the event loop thread that iterates `events()`.
    """

    def __init__(
        self,
        engine: RecognizerEngine,
        input_rate: int,
        executor: ThreadPoolExecutor,
        *,
        phrases: list[str] | None = None,
        **endpointer_config: Any,
    ) -> None:
        self.engine = engine
        self.input_rate = input_rate
        self._executor = executor
        self._resampler = (
            Resampler(input_rate, engine.sample_rate) if input_rate != engine.sample_rate else None
        )
        config = EndpointerConfig(**endpointer_config)  # unknown names raise TypeError
        self._endpointer = Endpointer.from_config(engine.sample_rate, config)
        self._recognizer = engine.new_recognizer(phrases)
        self._out: asyncio.Queue[object] = asyncio.Queue()
        self._utterances: asyncio.Queue[UtteranceEnded | None] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None
        self._input_done = False  # flush() or close() was called: feed() is ignored
        self._closed = False

    # ---- input (sync, on the loop) ----------------------------------------------------------

    def feed(self, samples: np.ndarray) -> None:
        """Add caller audio (int16 mono at `input_rate`); events appear on `events()`."""
        if self._input_done:
            return  # audio racing the hang-up is dropped, not an error
        pcm = as_int16(samples)
        if self._resampler is not None:
            pcm = self._resampler.process(pcm)
        self._dispatch(self._endpointer.process(pcm))

    def flush(self) -> None:
        """End of call audio: decode what is still buffered, then end `events()`."""
        if self._input_done:
            return
        self._input_done = True
        if self._resampler is not None:
            self._dispatch(self._endpointer.process(self._resampler.flush()))
        ended = self._endpointer.flush()
        if ended is not None:
            self._dispatch([ended])
        self._ensure_pump()
        self._utterances.put_nowait(None)

    async def close(self) -> None:
        """Stop now: drop undelivered events, cancel pending decodes, end `events()`."""
        if self._closed:
            return
        self._closed = self._input_done = True
        pump, self._pump = self._pump, None
        if pump is not None and not pump.done():
            pump.cancel()
            # A decode already running in a worker finishes there; its result is discarded.
            await asyncio.gather(pump, return_exceptions=True)
        while not self._out.empty():
            self._out.get_nowait()
        self._out.put_nowait(_END)

    # ---- output -----------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[StreamEvent]:
        """SpeechStarted / BargeIn as they happen, Final / RecognitionFailed per utterance."""
        while True:
            item = await self._out.get()
            if item is _END:
                self._out.put_nowait(_END)  # later iterations end too
                return
            yield item  # type: ignore[misc]

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self.events()

    # ---- internals --------------------------------------------------------------------------

    def _dispatch(self, events: list[EndpointEvent]) -> None:
        for event in events:
            if isinstance(event, UtteranceEnded):
                self._ensure_pump()
                self._utterances.put_nowait(event)
            else:
                self._out.put_nowait(event)

    def _ensure_pump(self) -> None:
        if self._pump is None and not self._closed:
            self._pump = asyncio.get_running_loop().create_task(self._run_decodes())

    async def _run_decodes(self) -> None:
        """Decode ended utterances strictly one after another, so finals keep their order."""
        while (utterance := await self._utterances.get()) is not None:
            self._out.put_nowait(await self._decode(utterance))
        self._out.put_nowait(_END)

    async def _decode(self, utterance: UtteranceEnded) -> Final | RecognitionFailed:
        loop = asyncio.get_running_loop()
        try:
            transcript = await loop.run_in_executor(
                self._executor, self._decode_blocking, utterance.samples
            )
        except Exception as exc:  # any engine failure: the dialog falls back, the call goes on
            log.exception("%s recognizer failed", self.engine.name)
            return RecognitionFailed(f"{type(exc).__name__}: {exc}")
        return Final(transcript, utterance.t_end_s, utterance.t_start_s)

    def _decode_blocking(self, samples: np.ndarray) -> Transcript:
        """Runs in a worker thread; only one per stream at a time."""
        try:
            self._recognizer.accept_audio(samples)
            return self._recognizer.finish()
        except Exception:
            self._recognizer.reset()  # leave the recognizer clean for the next utterance
            raise
