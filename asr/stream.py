"""Per-call async adapter: caller audio in, speech events and transcripts out.

`feed()` is synchronous and cheap (endpointing at the call's own rate), so the session can
call it for every 20 ms media frame on the event loop; speech is resampled to the engine's
rate in the decode worker, not per frame on the loop. While the caller speaks,
the utterance's audio goes to the recognizer as it arrives, in 0.1 s pieces (so a streaming
engine such as Vosk has little left to do when the utterance ends); at the end of each
utterance `finish()` gives the final. All recognizer calls run on the shared decode pool
(`asr.scheduler`: streamed audio first, then finals shortest first, then speculative
decodes), never on the loop, one at a time per call and in order, so finals come out in
utterance order while other calls use the other workers. Engine errors become
`RecognitionFailed` events instead of exceptions. No I/O of its own.

Engines that decode whole utterances (Whisper: its recognizer has `decode_utterance`) gain
nothing from audio fed early, so they get each utterance's span at its end instead, and
their decode may start early: once the caller has been silent for `speculate_after_s`, the
utterance so far is decoded speculatively while the endpointer waits out `end_silence_s`. If
the utterance then ends with no more speech, that result is the final; if the caller speaks
again it is dropped (cancelled, or left to finish in its worker while the next decode may
already run: `decode_utterance` is stateless). Both decode the same span, speech plus
`speculate_after_s` of its trailing silence, so a speculative final is exactly what decoding
at the end would give.

A recognizer that never returns (a wedged native library) must not hang the call: with
`decode_timeout_s`, a decode or streamed-audio job that gives nothing within that time
becomes a `RecognitionFailed` (the dialog apologises and transfers), and the stream stops
using the recognizer, which its worker thread may still hold. The deadline runs on the
injected `timer` (the call's clock), so tests move it without waiting.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar

import numpy as np

from asr.base import RecognizerEngine, Transcript
from asr.endpointing import (
    FRAME_MS,
    VAD_RATES,
    Endpointer,
    EndpointerConfig,
    EndpointerEvent,
    NoInput,
)
from asr.events import (
    BargeIn,
    Final,
    Partial,
    RecognitionFailed,
    SpeechStarted,
    StreamEvent,
    UtteranceEnded,
)
from asr.scheduler import FINAL, SPECULATIVE, STREAM, PriorityPool, promote, submit_at
from asr.stream_jobs import (
    EngineRate,
    Finish,
    LoopTimer,
    RecognizerHung,
    SetContext,
    SetPhrases,
    Speculation,
    Timer,
    WholeUtteranceRecognizer,
)
from pcm.resample import Resampler
from pcm.samples import as_int16

__all__ = [
    "BargeIn",
    "Final",
    "NoInput",
    "Partial",
    "RecognitionFailed",
    "RecognitionStream",
    "SpeechStarted",
    "StreamEvent",
    "WholeUtteranceRecognizer",
    "make_executor",
]

log = logging.getLogger(__name__)

_END = object()  # closes the events() iterator
_STOP = object()  # closes the decode pump after the last job
# Trailing silence after which a whole-utterance engine starts decoding: long enough that the
# gaps between words (mostly under 0.2 s) seldom trigger it, well before the 0.6 s endpoint.
DEFAULT_SPECULATE_AFTER_S = 0.25
# Streaming engines get a speaking caller's audio in pieces this long (the engine's partial
# hypothesis lags by at most this; nobody hears partials).
DEFAULT_STREAM_CHUNK_S = 0.1


T = TypeVar("T")


_Job = object  # np.ndarray (speech audio so far), Finish or _STOP




def make_executor(max_workers: int = 2) -> PriorityPool:
    """The bounded pool every call's decoding shares (size it to the CPU cores), taking
    streamed audio first, then finals shortest first, then speculative decodes
    (asr.scheduler)."""
    return PriorityPool(max_workers=max(1, max_workers), thread_name_prefix="asr")


class RecognitionStream:
    """One call's recognition: `feed()` audio, iterate `events()`, `flush()` or `close()`.

    Endpointer settings (end_silence_s, min_speech_s, max_utterance_s, vad_aggressiveness,
    preroll_s, energy_floor_dbfs, noise_margin_db, no_input_s) pass through as keyword
    arguments. `speculate_after_s` (whole-utterance engines only; 0 disables) is the trailing
    silence after which decoding starts speculatively, and also how much trailing silence
    is decoded. `decode_timeout_s` (0: none) bounds each recognizer job, timed on `timer`
    (the loop's own by default). Streaming engines are fed the speech in pieces of at least
    `stream_chunk_s` (0: every frame) while the caller speaks. `feed`, `flush`,
    `set_endpointing` and the no-input methods must be called on the event loop thread that
    iterates `events()`.
    """

    def __init__(
        self,
        engine: RecognizerEngine,
        input_rate: int,
        executor: Executor,
        *,
        phrases: list[str] | None = None,
        speculate_after_s: float = DEFAULT_SPECULATE_AFTER_S,
        decode_timeout_s: float = 0.0,
        timer: Timer | None = None,
        stream_chunk_s: float = DEFAULT_STREAM_CHUNK_S,
        **endpointer_config: Any,
    ) -> None:
        if not speculate_after_s >= 0:
            raise ValueError(f"speculate_after_s must be 0 or positive, got {speculate_after_s}")
        self.engine = engine
        self.input_rate = input_rate
        self._executor = executor
        # Endpointing runs at the call's own rate when the VAD takes it (8 kHz phone audio):
        # resampling to the engine's rate is then done on the speech only, in the decode
        # worker, instead of on every 20 ms frame on the event loop.
        self._vad_rate = input_rate if input_rate in VAD_RATES else engine.sample_rate
        self._resampler = (
            Resampler(input_rate, self._vad_rate) if input_rate != self._vad_rate else None
        )
        self._to_engine = EngineRate(self._vad_rate, engine.sample_rate)
        config = EndpointerConfig(**endpointer_config)  # unknown names raise TypeError
        self._endpointer = Endpointer.from_config(self._vad_rate, config)
        self._recognizer = engine.new_recognizer(phrases)
        self._whole = isinstance(self._recognizer, WholeUtteranceRecognizer)
        # Trailing silence decoded with each utterance (whole frames; 0: all of it) when
        # speculating; then the speculative and the final decode see the same samples.
        frames = math.ceil(speculate_after_s * 1000 / FRAME_MS - 1e-6)
        self._tail = frames * self._endpointer.frame_samples if self._whole else 0
        self._speculation: Speculation | None = None
        self._stream_chunk = round(stream_chunk_s * self._vad_rate)
        self.speculations = 0  # speculative decodes started
        self.speculations_used = 0  # ... that became the final
        self.speculations_wasted = 0  # ... dropped because the caller spoke again
        self._out: asyncio.Queue[object] = asyncio.Queue()
        self._jobs: deque[_Job] = deque()
        self._wake = asyncio.Event()  # set when a job is queued
        self._idle = asyncio.Event()  # set while no job is queued or running
        self._idle.set()
        self._pump: asyncio.Task[None] | None = None
        self._fed = 0  # samples of the utterance in progress already queued for the recognizer
        self._failed: str | None = None  # the utterance in progress already failed to decode
        self._input_done = False  # flush() or close() was called: feed() is ignored
        self._closed = False
        self.utterances_ended = 0  # utterances handed to the recognizer to finish
        self.partial_text = ""  # the engine's latest partial hypothesis for this utterance
        self._pending_phrases: SetPhrases | None = None  # applied when the utterance ends
        self._pending_context: SetContext | None = None  # likewise
        self._context: SetContext = SetContext(None)  # what the caller last heard, expects
        self._decode_timeout_s = decode_timeout_s
        self._timer: Timer = timer or LoopTimer()
        self._hung: str | None = None  # the recognizer stopped answering: never used again

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
        self._dispatch([ended] if ended is not None else [])
        self._queue(_STOP)

    async def close(self) -> None:
        """Stop now: drop undelivered events, cancel pending decodes, end `events()`."""
        if self._closed:
            return
        self._closed = self._input_done = True
        pump, self._pump = self._pump, None
        self._drop_speculation(counted=False)
        for job in self._jobs:
            if isinstance(job, Finish) and job.speculation is not None:
                job.speculation.future.cancel()
        self._jobs.clear()
        if pump is not None and not pump.done():
            pump.cancel()
            # A decode already running in a worker finishes there; its result is discarded.
            await asyncio.gather(pump, return_exceptions=True)
        self._idle.set()
        while not self._out.empty():
            self._out.get_nowait()
        self._out.put_nowait(_END)

    # ---- per-dialog-state settings ------------------------------------------------------------

    def set_endpointing(
        self,
        *,
        end_silence_s: float | None = None,
        max_utterance_s: float | None = None,
        min_speech_s: float | None = None,
    ) -> None:
        """Change endpointing from the next 20 ms frame on; None keeps a setting.

        Meant for between utterances (e.g. a longer end_silence_s while the caller reads out
        a number); applied mid-utterance it governs the rest of that utterance.
        """
        changes = {
            "end_silence_s": end_silence_s,
            "max_utterance_s": max_utterance_s,
            "min_speech_s": min_speech_s,
        }
        self._endpointer.configure(**{k: v for k, v in changes.items() if v is not None})

    @property
    def endpointing(self) -> EndpointerConfig:
        """The endpointer settings in force."""
        return self._endpointer.config

    def arm_no_input(self, no_input_s: float | None = None) -> None:
        """Report `NoInput` if no speech starts within `no_input_s` (default: configured)."""
        self._endpointer.arm_no_input(no_input_s)

    def disarm_no_input(self) -> None:
        """Cancel a pending no-input timeout."""
        self._endpointer.disarm_no_input()

    # ---- output -----------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[StreamEvent | NoInput]:
        """SpeechStarted / BargeIn / NoInput as they happen, Final / RecognitionFailed per
        utterance."""
        while True:
            item = await self._out.get()
            if item is _END:
                self._out.put_nowait(_END)  # later iterations end too
                return
            yield item  # type: ignore[misc]

    def __aiter__(self) -> AsyncIterator[StreamEvent | NoInput]:
        return self.events()

    async def wait_idle(self) -> None:
        """Return once every recognizer job queued so far has run (benchmarks, tests)."""
        await self._idle.wait()

    def set_phrases(self, phrases: list[str] | None) -> None:
        """Decode the next utterances against `phrases` (a grammar, for engines that support
        one), or freely with None. Takes effect between utterances, never mid-utterance."""
        job = SetPhrases(list(phrases) if phrases else None)
        if self._endpointer.in_speech:
            self._pending_phrases = job
        else:
            self._queue(job)

    def set_context(self, text: str | None, choices: Sequence[str] = ()) -> None:
        """Decode the next utterances as replies to `text` (the bot's question, for engines
        that read it: `asr.base.supports_context`), or with no context (None); `choices` are
        the replies it expects, for engines that score them (`asr.base.supports_choices`).
        Takes effect between utterances, as `set_phrases` does."""
        job = SetContext(text or None, tuple(choices))
        if self._endpointer.in_speech:
            self._pending_context = job
        else:
            self._queue(job)

    # ---- internals --------------------------------------------------------------------------

    def _dispatch(self, events: list[EndpointerEvent]) -> None:
        for event in events:
            if isinstance(event, UtteranceEnded):
                if self._whole:
                    self._queue(self._finish_whole(event))
                else:
                    # The recognizer already has the first `_fed` samples of this utterance.
                    self._queue(Finish(event.samples[self._fed :], event))
                self._fed = 0
                self.utterances_ended += 1
                for pending in (self._pending_phrases, self._pending_context):
                    if pending is not None:
                        self._queue(pending)
                self._pending_phrases = self._pending_context = None
            else:
                self._out.put_nowait(event)
        if self._whole:
            self._maybe_speculate()
        else:
            self._queue_speech()

    def _finish_whole(self, event: UtteranceEnded) -> Finish:
        """The decode job of an utterance, with the speculative decode if it saw this audio."""
        span = event.samples[: event.speech_samples + self._tail] if self._tail else event.samples
        speculation, self._speculation = self._speculation, None
        if speculation is not None and not np.array_equal(speculation.samples, span):
            speculation.future.cancel()  # e.g. the caller spoke again within this feed()
            self.speculations_wasted += 1
            speculation = None
        return Finish(span, event, speculation)

    def _maybe_speculate(self) -> None:
        """Start decoding once the pause is `speculate_after_s` long; drop it if speech
        resumed. Called after every feed, so at most one frame late."""
        if not self._tail or not self._endpointer.in_speech or self._hung is not None:
            return
        speech = self._endpointer.speech_samples
        if self._speculation is not None:
            if self._speculation.speech_samples == speech:
                return  # still the same pause
            self._drop_speculation()  # a voiced frame extended the utterance
        if self._endpointer.utterance_samples - speech < self._tail:
            return
        samples = self._endpointer.utterance_audio()[: speech + self._tail]
        recognizer = self._recognizer
        try:
            seconds = samples.size / self._vad_rate
            future = submit_at(self._executor, SPECULATIVE, seconds,
                               self._decode_whole_blocking, recognizer, samples)
        except RuntimeError:  # the pool is shutting down: the final decode will report it
            return
        self._speculation = Speculation(samples, speech, recognizer, future)
        self.speculations += 1

    def _drop_speculation(self, *, counted: bool = True) -> None:
        """Forget the speculative decode: cancelled if not started, else its result ignored."""
        speculation, self._speculation = self._speculation, None
        if speculation is not None:
            speculation.future.cancel()
            self.speculations_wasted += counted

    def _queue_speech(self) -> None:
        """Queue the audio the utterance in progress gained since the last call, once it is
        `stream_chunk_s` long: one hop to a decode worker per 20 ms frame of every speaking
        caller costs the event loop more than the engine's work (the utterance's end hands
        over whatever is left, so the final transcript is the same)."""
        if not self._endpointer.in_speech:
            return
        if self._endpointer.utterance_samples - self._fed < self._stream_chunk:
            return
        chunk = self._endpointer.utterance_audio(self._fed)
        if chunk.size:
            self._fed += chunk.size
            self._queue(chunk)

    def _queue(self, job: _Job) -> None:
        if self._closed:
            return
        self._jobs.append(job)
        self._idle.clear()
        self._wake.set()
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._run_jobs())

    async def _run_jobs(self) -> None:
        """Run recognizer jobs strictly one after another, so audio and finals keep order."""
        while True:
            if not self._jobs:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            job = self._jobs.popleft()
            if job is _STOP:
                break
            if isinstance(job, Finish):
                self._out.put_nowait(await self._decode(job))
            elif isinstance(job, SetPhrases):
                await self._switch_recognizer(job.phrases)
            elif isinstance(job, SetContext):
                self._context = job
                self._apply_context()
            elif isinstance(job, np.ndarray):
                await self._accept(self._take_audio(job))
        self._idle.set()
        self._out.put_nowait(_END)

    def _take_audio(self, first: np.ndarray) -> np.ndarray:
        """Merge audio jobs queued back to back: one executor hop for a backlog of frames."""
        chunks = [first]
        while self._jobs and isinstance(self._jobs[0], np.ndarray):
            chunks.append(self._jobs.popleft())  # type: ignore[arg-type]
        return np.concatenate(chunks) if len(chunks) > 1 else first

    async def _accept(self, samples: np.ndarray) -> None:
        if self._failed is not None or self._hung is not None:
            return  # this utterance is lost already; its finish reports the failure
        try:
            partial = await self._bounded(asyncio.wrap_future(
                submit_at(self._executor, STREAM, 0.0, self._accept_blocking, samples)))
        except RecognizerHung as exc:
            self._failed = str(exc)
            return
        except Exception as exc:
            log.exception("%s recognizer failed on streamed audio", self.engine.name)
            self._failed = f"{type(exc).__name__}: {exc}"
            return
        if partial and partial != self.partial_text:
            self.partial_text = partial
            self._out.put_nowait(Partial(partial))

    async def _decode(self, job: Finish) -> Final | RecognitionFailed:
        loop = asyncio.get_running_loop()
        started = loop.time()
        failed, self._failed, self.partial_text = self._failed, None, ""
        if failed is not None:
            return RecognitionFailed(failed)
        if self._hung is not None:
            return RecognitionFailed(self._hung)
        speculation = job.speculation
        if speculation is not None and speculation.recognizer is not self._recognizer:
            speculation.future.cancel()  # decoded before a phrase-list switch: not this audio
            self.speculations_wasted += 1
            speculation = None
        if speculation is not None:  # the caller waits for it now: no longer a guess
            promote(self._executor, speculation.future, FINAL)
        seconds = job.remainder.size / self._vad_rate
        try:
            if speculation is not None:
                transcript = await self._bounded(asyncio.wrap_future(speculation.future))
                self.speculations_used += 1
            elif self._whole:
                transcript = await self._bounded(asyncio.wrap_future(submit_at(
                    self._executor, FINAL, seconds, self._decode_whole_blocking,
                    self._recognizer, job.remainder)))
            else:
                transcript = await self._bounded(asyncio.wrap_future(submit_at(
                    self._executor, FINAL, seconds, self._finish_blocking, job.remainder)))
        except RecognizerHung as exc:
            return RecognitionFailed(str(exc))
        except Exception as exc:  # any engine failure: the dialog falls back, the call goes on
            log.exception("%s recognizer failed", self.engine.name)
            return RecognitionFailed(f"{type(exc).__name__}: {exc}")
        return Final(transcript, job.utterance.t_end_s, job.utterance.t_start_s,
                     wait_s=loop.time() - started)

    async def _bounded(self, work: Awaitable[T]) -> T:
        """`work`, or RecognizerHung once `decode_timeout_s` passed on the timer. The worker
        thread cannot be interrupted: it is left to finish (or not) and its result dropped;
        the recognizer it holds is never used again by this stream."""
        future = asyncio.ensure_future(work)
        if self._decode_timeout_s <= 0:
            return await future
        expired: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def expire() -> None:
            if not expired.done():
                expired.set_result(None)

        handle = self._timer.call_later(self._decode_timeout_s, expire)
        try:
            pending: set[asyncio.Future[Any]] = {future, expired}
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        finally:
            handle.cancel()
            expired.cancel()
        if future.done():
            return future.result()
        future.cancel()
        self._hung = (f"{self.engine.name} recognizer gave no result within "
                      f"{self._decode_timeout_s:g} s")
        log.error("%s; this call stops using it", self._hung)
        raise RecognizerHung(self._hung)

    async def _switch_recognizer(self, phrases: list[str] | None) -> None:
        if self._hung is not None:
            return
        loop = asyncio.get_running_loop()
        try:
            self._recognizer = await loop.run_in_executor(
                self._executor, self.engine.new_recognizer, phrases)
        except Exception:  # keep decoding with the recognizer we have
            log.exception("%s recognizer could not switch phrase list", self.engine.name)
        self._apply_context()  # a new recognizer keeps what the caller last heard

    def _apply_context(self) -> None:
        set_context = getattr(self._recognizer, "set_context", None)
        if set_context is not None:  # engines without it ignore what the caller heard
            set_context(self._context.text)
        set_choices = getattr(self._recognizer, "set_choices", None)
        if set_choices is not None:  # and what they expect
            set_choices(self._context.choices)

    def _accept_blocking(self, samples: np.ndarray) -> str | None:
        """Runs in a worker thread; only one per stream at a time."""
        try:
            return self._recognizer.accept_audio(self._to_engine.stream(samples))
        except Exception:
            self._recognizer.reset()  # drop the half-fed utterance
            self._to_engine.reset()
            raise

    def _decode_whole_blocking(self, recognizer: object, samples: np.ndarray) -> Transcript:
        """Runs in a worker thread; stateless, so a speculative decode may overlap another."""
        assert isinstance(recognizer, WholeUtteranceRecognizer)
        return recognizer.decode_utterance(self._to_engine.whole(samples))

    def _finish_blocking(self, remainder: np.ndarray) -> Transcript:
        """Runs in a worker thread; only one per stream at a time."""
        try:
            tail = self._to_engine.finish(remainder)
            if tail.size:
                self._recognizer.accept_audio(tail)
            return self._recognizer.finish()
        except Exception:
            self._recognizer.reset()  # leave the recognizer clean for the next utterance
            self._to_engine.reset()
            raise
