"""RecognitionStream: ordering, failures, cancellation (scripted engine) and the real engine."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from asr.base import Recognizer, RecognizerEngine, Transcript
from asr.engines import load_engine
from asr.stream import (
    BargeIn,
    Final,
    NoInput,
    Partial,
    RecognitionFailed,
    RecognitionStream,
    SpeechStarted,
    StreamEvent,
    WholeUtteranceRecognizer,
    make_executor,
)
from asr.whisper_models import assemble_whisper_base
from pcm.files import read_audio
from tests.transcripts import assert_transcript_close

HOTLINE = Path(__file__).resolve().parents[1] / "audio_fixtures" / "hotline"


def tone(seconds: float, rate: int) -> np.ndarray:
    """Voice-like harmonic buzz that the VAD calls speech."""
    t = np.arange(round(seconds * rate)) / rate
    x = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 22))
    return (x / np.max(np.abs(x)) * 0.25 * 32767).astype(np.int16)


def silence(seconds: float, rate: int) -> np.ndarray:
    return np.zeros(round(seconds * rate), dtype=np.int16)


class FakeEngine:
    """Scripted engine: numbers its utterances, can fail some, can block on a gate."""

    name = "fake"
    sample_rate = 16000

    def __init__(
        self,
        fail_on: tuple[int, ...] = (),
        gate: threading.Event | None = None,
        fail_first_accept: bool = False,
    ):
        self.fail_on = fail_on
        self.fail_first_accept = fail_first_accept  # the first streamed chunk raises
        self.gate = gate
        self.lengths: list[int] = []
        self.threads: list[str] = []
        self.calls: list[tuple[str, int]] = []  # ("accept", samples) / ("finish", total)

    def new_recognizer(self, phrases: list[str] | None = None) -> FakeRecognizer:
        return FakeRecognizer(self)


class FakeRecognizer:
    sample_rate = 16000

    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine
        self.chunks: list[np.ndarray] = []

    def accept_audio(self, samples: np.ndarray) -> str | None:
        assert samples.dtype == np.int16
        self.engine.calls.append(("accept", len(samples)))
        self.engine.threads.append(threading.current_thread().name)
        if self.engine.fail_first_accept:
            self.engine.fail_first_accept = False
            raise RuntimeError("stream decoder exploded")
        self.chunks.append(samples)
        return f"partial {sum(len(c) for c in self.chunks)}"

    def finish(self) -> Transcript:
        n = sum(len(c) for c in self.chunks)
        self.chunks = []
        self.engine.calls.append(("finish", n))
        self.engine.lengths.append(n)
        self.engine.threads.append(threading.current_thread().name)
        if self.engine.gate is not None:
            self.engine.gate.wait(timeout=30)
        index = len(self.engine.lengths)
        if index in self.engine.fail_on:
            raise RuntimeError(f"decoder exploded on utterance {index}")
        return Transcript(f"utterance {index}", 0.9, n / 16000, 0.0, "fake")

    def reset(self) -> None:
        self.chunks = []


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = make_executor(2)
    yield pool
    pool.shutdown(wait=True)


def feed_chunked(stream: RecognitionStream, audio: np.ndarray, rate: int) -> None:
    step = rate // 50  # 20 ms media frames, as a telephony stream delivers them
    for i in range(0, len(audio), step):
        stream.feed(audio[i : i + step])


async def collect(stream: RecognitionStream) -> list[StreamEvent]:
    return [event async for event in stream.events()]


def three_bursts(rate: int) -> np.ndarray:
    return np.concatenate([silence(0.5, rate), tone(1.0, rate), silence(1.0, rate),
                           tone(0.5, rate), silence(1.0, rate), tone(0.7, rate),
                           silence(1.0, rate)])


async def speak_three_bursts(stream: RecognitionStream, rate: int) -> None:
    """Three utterances in real-time-paced frames, then the end of the call, every event
    collected."""
    consumer = asyncio.create_task(collect(stream))
    await feed_paced(stream, three_bursts(rate), rate)
    stream.flush()
    await asyncio.wait_for(consumer, 30)


# ---- scripted engine -------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 16000])
def test_finals_come_in_utterance_order(rate: int, executor: ThreadPoolExecutor) -> None:
    engine = FakeEngine()

    async def scenario() -> list[StreamEvent]:
        stream = RecognitionStream(engine, rate, executor)
        feed_chunked(stream, three_bursts(rate), rate)
        stream.flush()
        return await asyncio.wait_for(collect(stream), 30)

    events = asyncio.run(scenario())
    finals = [e for e in events if isinstance(e, Final)]
    assert [f.transcript.text for f in finals] == ["utterance 1", "utterance 2", "utterance 3"]
    assert [f.t_end_s for f in finals] == pytest.approx([1.5, 3.0, 4.7], abs=0.041)
    assert [f.t_start_s for f in finals] == pytest.approx([0.5, 2.5, 4.0], abs=0.041)
    assert sum(isinstance(e, SpeechStarted) for e in events) == 3
    assert sum(isinstance(e, BargeIn) for e in events) == 3
    # the recognizer got 16 kHz audio: pre-roll 0.3 + speech + 0.6 s trailing silence
    expected = [round(s * 16000) for s in (1.9, 1.4, 1.6)]
    assert engine.lengths == pytest.approx(expected, abs=2 * 320)
    assert all(name.startswith("asr") for name in engine.threads)  # decoded off the loop


def test_streaming_engines_are_fed_as_they_go_and_never_speculate(
    executor: ThreadPoolExecutor,
) -> None:
    engine = FakeEngine()  # no decode_utterance: a streaming engine such as Vosk

    async def scenario() -> RecognitionStream:
        stream = RecognitionStream(engine, 16000, executor, speculate_after_s=0.25)
        await speak_three_bursts(stream, 16000)
        return stream

    stream = asyncio.run(scenario())
    assert stream.speculations == stream.speculations_used == stream.speculations_wasted == 0
    # as the caller speaks, in 0.1 s pieces (about 1.5 s of speech and silence each)
    assert sum(kind == "accept" for kind, _ in engine.calls) > 3 * 10
    # every utterance keeps its whole 0.6 s of end silence, as without speculation
    expected = [round(s * 16000) for s in (1.9, 1.4, 1.6)]
    assert engine.lengths == pytest.approx(expected, abs=2 * 320)


class KeepingRecognizer(FakeRecognizer):
    """Keeps every utterance's audio as the engine got it."""

    kept: list[np.ndarray]

    def finish(self) -> Transcript:
        self.kept.append(np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16))
        return super().finish()


class WholeRecorder(FakeEngine):
    """A whole-utterance engine (as Whisper) that keeps the audio of each decode."""

    def __init__(self) -> None:
        super().__init__()
        self.decoded: list[np.ndarray] = []

    def new_recognizer(self, phrases: list[str] | None = None) -> FakeRecognizer:
        engine = self

        class Whole(FakeRecognizer):
            def decode_utterance(self, pcm: np.ndarray) -> Transcript:
                engine.decoded.append(pcm)
                return Transcript("whole", 0.9, pcm.size / 16000, 0.0, "fake")

        return Whole(self)


@pytest.mark.parametrize("whole", [False, True])
def test_phone_audio_is_endpointed_at_8k_and_resampled_off_the_loop(
    whole: bool, executor: ThreadPoolExecutor,
) -> None:
    """An 8 kHz call is endpointed at 8 kHz (no resampling per 20 ms frame on the loop); the
    engine still gets 16 kHz speech, the same samples as the utterance resampled whole,
    whether it was streamed in pieces or decoded at once."""
    from pcm.resample import resample

    engine: FakeEngine = WholeRecorder() if whole else FakeEngine()
    kept: list[np.ndarray] = []
    if not whole:
        KeepingRecognizer.kept = kept
        engine.new_recognizer = lambda phrases=None: KeepingRecognizer(engine)  # type: ignore[method-assign]
    ended: list[np.ndarray] = []

    async def scenario() -> RecognitionStream:
        stream = RecognitionStream(engine, 8000, executor, speculate_after_s=0.25)
        spy = stream._dispatch

        def dispatch(events: list[object]) -> None:
            ended.extend(e.samples for e in events if type(e).__name__ == "UtteranceEnded")
            spy(events)  # type: ignore[arg-type]

        stream._dispatch = dispatch  # type: ignore[method-assign]
        await speak_three_bursts(stream, 8000)
        return stream

    stream = asyncio.run(scenario())
    assert stream._endpointer.sample_rate == 8000
    assert stream._resampler is None
    got = engine.decoded if isinstance(engine, WholeRecorder) else kept  # type: ignore[attr-defined]
    assert len(got) == len(ended) == 3
    for audio, utterance in zip(got, ended, strict=True):
        span = utterance[: len(audio) // 2] if whole else utterance
        assert np.array_equal(audio, resample(span, 8000, 16000))


def test_engine_error_becomes_recognition_failed(executor: ThreadPoolExecutor) -> None:
    engine = FakeEngine(fail_on=(1,))

    async def scenario() -> list[StreamEvent]:
        stream = RecognitionStream(engine, 8000, executor)
        feed_chunked(stream, three_bursts(8000), 8000)
        stream.flush()
        return await asyncio.wait_for(collect(stream), 30)

    results = [e for e in asyncio.run(scenario()) if isinstance(e, Final | RecognitionFailed)]
    assert results[0] == RecognitionFailed("RuntimeError: decoder exploded on utterance 1")
    texts = [r.transcript.text for r in results[1:] if isinstance(r, Final)]
    assert texts == ["utterance 2", "utterance 3"]


def test_flush_decodes_the_utterance_in_progress(executor: ThreadPoolExecutor) -> None:
    engine = FakeEngine()

    async def scenario() -> list[StreamEvent]:
        stream = RecognitionStream(engine, 16000, executor, end_silence_s=0.8)
        feed_chunked(stream, np.concatenate([silence(0.5, 16000), tone(0.9, 16000)]), 16000)
        stream.flush()
        stream.feed(tone(2.0, 16000))  # after the end of the call: ignored
        return await asyncio.wait_for(collect(stream), 30)

    events = [e for e in asyncio.run(scenario()) if not isinstance(e, Partial)]
    assert [type(e) for e in events] == [SpeechStarted, BargeIn, Final]
    assert engine.lengths == [round(1.2 * 16000)]  # pre-roll + everything fed


def test_close_cancels_pending_decodes(executor: ThreadPoolExecutor) -> None:
    gate = threading.Event()
    engine = FakeEngine(gate=gate)

    async def scenario() -> list[StreamEvent]:
        stream = RecognitionStream(engine, 8000, executor)
        consumer = asyncio.create_task(collect(stream))
        feed_chunked(stream, three_bursts(8000), 8000)
        await asyncio.sleep(0)  # let the first decode start
        await stream.close()
        stream.feed(tone(1.0, 8000))  # ignored after close
        return await asyncio.wait_for(consumer, 30)

    try:
        events = asyncio.run(scenario())
    finally:
        gate.set()
    executor.shutdown(wait=True)
    assert not any(isinstance(e, Final | RecognitionFailed) for e in events)
    assert len(engine.lengths) <= 1  # utterances 2 and 3 were never decoded


def test_unknown_endpointer_setting_is_rejected(executor: ThreadPoolExecutor) -> None:
    with pytest.raises(TypeError):
        RecognitionStream(FakeEngine(), 8000, executor, end_silence=0.5)


async def feed_paced(stream: RecognitionStream, audio: np.ndarray, rate: int) -> None:
    """20 ms frames, each one after the recognizer caught up (as in a real-time call)."""
    step = rate // 50
    for i in range(0, len(audio), step):
        stream.feed(audio[i : i + step])
        await stream.wait_idle()


def test_audio_reaches_the_recognizer_while_the_caller_speaks(
    executor: ThreadPoolExecutor,
) -> None:
    """In 0.1 s pieces: one trip to a decode worker per 20 ms frame cost the event loop more
    than the engine's work (`stream_chunk_s`)."""
    engine = FakeEngine()
    partials: list[str] = []

    async def scenario() -> list[StreamEvent]:
        stream = RecognitionStream(engine, 8000, executor)
        consumer = asyncio.create_task(collect(stream))
        await feed_paced(stream, np.concatenate([silence(0.5, 8000), tone(1.0, 8000)]), 8000)
        partials.append(stream.partial_text)  # mid-utterance: the engine's latest partial
        await feed_paced(stream, silence(1.0, 8000), 8000)
        partials.append(stream.partial_text)  # cleared once the utterance is finished
        stream.flush()
        return await asyncio.wait_for(consumer, 30)

    events = asyncio.run(scenario())
    partial_events = [e.text for e in events if isinstance(e, Partial)]
    assert partial_events and len(set(partial_events)) == len(partial_events)  # only changes
    events = [e for e in events if not isinstance(e, Partial)]
    assert [type(e) for e in events] == [SpeechStarted, BargeIn, Final]
    accepts = [n for kind, n in engine.calls[:-1] if kind == "accept"]
    assert engine.calls[-1][0] == "finish"
    # pre-roll and onset in one piece, then 0.1 s (1600 samples at 16 kHz) at a time, and
    # what was left under 0.1 s when the utterance ended
    assert len(accepts) >= 10 and accepts.count(1600) >= 10
    assert accepts[-1] < 1600
    assert sum(accepts) == engine.lengths[0]
    assert engine.lengths == [pytest.approx(round(1.9 * 16000), abs=2 * 320)]
    assert partials[0].startswith("partial ") and partials[1] == ""
    assert all(name.startswith("asr") for name in engine.threads)


def test_backlog_of_frames_is_merged_into_one_recognizer_call(
    executor: ThreadPoolExecutor,
) -> None:
    engine = FakeEngine()

    async def scenario() -> None:
        stream = RecognitionStream(engine, 16000, executor)
        feed_chunked(stream, np.concatenate([silence(0.5, 16000), tone(1.0, 16000)]), 16000)
        await stream.wait_idle()  # every frame was queued before the pump could run
        stream.flush()
        await asyncio.wait_for(collect(stream), 30)

    asyncio.run(scenario())
    # all queued pieces went in one call; flush's finish added what was left (under 0.1 s)
    assert [kind for kind, _ in engine.calls] == ["accept", "accept", "finish"]
    assert engine.calls[0][1] > 0.9 * engine.calls[2][1] and engine.calls[1][1] < 1600


def test_streamed_audio_failure_fails_only_that_utterance(executor: ThreadPoolExecutor) -> None:
    engine = FakeEngine(fail_first_accept=True)

    async def scenario() -> list[StreamEvent]:
        stream = RecognitionStream(engine, 8000, executor)
        consumer = asyncio.create_task(collect(stream))
        await feed_paced(stream, three_bursts(8000), 8000)
        stream.flush()
        return await asyncio.wait_for(consumer, 30)

    results = [e for e in asyncio.run(scenario()) if isinstance(e, Final | RecognitionFailed)]
    assert results[0] == RecognitionFailed("RuntimeError: stream decoder exploded")
    texts = [r.transcript.text for r in results[1:] if isinstance(r, Final)]
    assert texts == ["utterance 1", "utterance 2"]  # the failed one was never finished
    assert len(results) == 3


def test_set_endpointing_applies_from_the_next_frame(executor: ThreadPoolExecutor) -> None:
    engine = FakeEngine()
    rate = 16000

    async def scenario() -> list[StreamEvent]:
        stream = RecognitionStream(engine, rate, executor)
        consumer = asyncio.create_task(collect(stream))
        await feed_paced(stream, np.concatenate(
            [silence(0.5, rate), tone(0.5, rate), silence(0.4, rate)]), rate)
        stream.set_endpointing(end_silence_s=1.0)  # mid-pause, before 0.6 s ran out
        await feed_paced(stream, silence(2.0, rate), rate)
        # between utterances: digits read out with 0.9 s pauses stay one utterance
        stream.set_endpointing(end_silence_s=1.2, min_speech_s=0.5)
        assert stream.endpointing.end_silence_s == 1.2
        digits = [tone(0.4, rate), silence(0.9, rate), tone(0.4, rate), silence(2.0, rate)]
        await feed_paced(stream, np.concatenate(digits), rate)
        stream.set_endpointing(end_silence_s=0.6, min_speech_s=0.3)
        await feed_paced(stream, np.concatenate(digits), rate)
        stream.flush()
        return await asyncio.wait_for(consumer, 30)

    events = asyncio.run(scenario())
    # 0.3 s pre-roll + 0.5 s speech + the 1.0 s of silence that now ends an utterance
    assert engine.lengths[0] == round(1.8 * rate)
    assert engine.lengths[1] == round((0.3 + 0.4 + 0.9 + 0.4 + 1.2) * rate)
    assert len(engine.lengths) == 4  # last pair split again at 0.6 s
    barges = [e for e in events if isinstance(e, BargeIn)]
    assert [b.voiced_s for b in barges] == [0.3, 0.5, 0.3, 0.3]


def test_no_input_events_come_through_the_stream(executor: ThreadPoolExecutor) -> None:
    async def scenario() -> list[StreamEvent | NoInput]:
        stream = RecognitionStream(FakeEngine(), 16000, executor, no_input_s=1.0)
        consumer = asyncio.create_task(collect(stream))
        await feed_paced(stream, silence(1.5, 16000), 16000)
        stream.arm_no_input(2.0)  # e.g. after a re-prompt, with a longer timeout
        await feed_paced(stream, silence(2.5, 16000), 16000)
        stream.arm_no_input()
        stream.disarm_no_input()
        await feed_paced(stream, silence(2.0, 16000), 16000)
        stream.flush()
        return await asyncio.wait_for(consumer, 30)

    assert asyncio.run(scenario()) == [NoInput(1.0), NoInput(3.5)]


def test_utterances_ended_counts_finish_jobs(executor: ThreadPoolExecutor) -> None:
    async def scenario() -> list[int]:
        stream = RecognitionStream(FakeEngine(), 8000, executor)
        counts = []
        consumer = asyncio.create_task(collect(stream))
        for part in (silence(0.5, 8000), tone(1.0, 8000), silence(1.0, 8000), tone(0.5, 8000)):
            await feed_paced(stream, part, 8000)
            counts.append(stream.utterances_ended)
        stream.flush()
        await asyncio.wait_for(consumer, 30)
        return [*counts, stream.utterances_ended]

    assert asyncio.run(scenario()) == [0, 0, 1, 1, 2]


class ContextRecognizer(FakeRecognizer):
    """A scripted recognizer that notes the context each utterance was decoded with."""

    def __init__(self, engine: FakeEngine, seen: list[str | None],
                 expected: list[tuple[str, ...]] | None = None) -> None:
        super().__init__(engine)
        self.context: str | None = None
        self.choices: tuple[str, ...] = ()
        self.seen = seen
        self.expected = [] if expected is None else expected

    def set_context(self, text: str | None) -> None:
        self.context = text

    def set_choices(self, choices: tuple[str, ...] | None) -> None:
        self.choices = tuple(choices or ())

    def finish(self) -> Transcript:
        self.seen.append(self.context)
        self.expected.append(self.choices)
        return super().finish()


def test_the_question_becomes_context_between_utterances(executor: ThreadPoolExecutor) -> None:
    """`set_context` (the question and the replies it expects) reaches the recognizer for the
    next utterance, never mid-utterance, and a phrase-list switch (a new recognizer) keeps
    it."""
    seen: list[str | None] = []
    expected: list[tuple[str, ...]] = []
    engine = FakeEngine()
    engine.new_recognizer = lambda phrases=None: ContextRecognizer(  # type: ignore[method-assign]
        engine, seen, expected)

    async def scenario() -> None:
        stream = RecognitionStream(engine, 8000, executor)
        consumer = asyncio.create_task(collect(stream))
        await feed_paced(stream, np.concatenate([silence(0.5, 8000), tone(0.5, 8000)]), 8000)
        stream.set_context("还有其他问题吗？", ("没有", "没了"))  # while the caller speaks
        await feed_paced(stream, np.concatenate([tone(0.3, 8000), silence(1.0, 8000),
                                                 tone(0.6, 8000), silence(1.0, 8000)]), 8000)
        stream.set_phrases(["是的", "不是"])
        await feed_paced(stream, np.concatenate([tone(0.6, 8000), silence(1.0, 8000)]), 8000)
        stream.set_context(None)
        await feed_paced(stream, np.concatenate([tone(0.6, 8000), silence(1.0, 8000)]), 8000)
        stream.flush()
        await asyncio.wait_for(consumer, 30)

    asyncio.run(scenario())
    assert seen == [None, "还有其他问题吗？", "还有其他问题吗？", None]
    assert expected == [(), ("没有", "没了"), ("没有", "没了"), ()]  # the replies go along


# ---- the real engine -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def whisper(tmp_path_factory: pytest.TempPathFactory) -> RecognizerEngine:
    model_dir = assemble_whisper_base(tmp_path_factory.getbasetemp() / "whisper-base")
    return load_engine("whisper", model_dir=model_dir)


class ThreadRecordingEngine:
    """The real engine, noting the thread of every call into its recognizers."""

    def __init__(self, engine: RecognizerEngine) -> None:
        self.engine = engine
        self.name, self.sample_rate = engine.name, engine.sample_rate
        self.threads: list[tuple[str, str]] = []  # (method, thread name)

    def new_recognizer(self, phrases: list[str] | None = None) -> ThreadRecordingRecognizer:
        return ThreadRecordingRecognizer(self, self.engine.new_recognizer(phrases))


class ThreadRecordingRecognizer:
    def __init__(self, engine: ThreadRecordingEngine, inner: Recognizer) -> None:
        self.engine, self.inner = engine, inner
        self.sample_rate = inner.sample_rate

    def _note(self, method: str) -> None:
        self.engine.threads.append((method, threading.current_thread().name))

    def accept_audio(self, samples: np.ndarray) -> str | None:
        self._note("accept_audio")
        return self.inner.accept_audio(samples)

    def decode_utterance(self, pcm: np.ndarray) -> Transcript:
        self._note("decode_utterance")
        assert isinstance(self.inner, WholeUtteranceRecognizer)
        return self.inner.decode_utterance(pcm)

    def finish(self) -> Transcript:
        self._note("finish")
        return self.inner.finish()

    def reset(self) -> None:
        self._note("reset")
        self.inner.reset()


@pytest.mark.slow
def test_real_engine_finals_in_order_and_decoded_off_the_loop(
    whisper: RecognizerEngine, executor: ThreadPoolExecutor
) -> None:
    names = ["A10_tel8k", "A40_tel8k"]
    clips = [read_audio(HOTLINE / f"{n}.wav") for n in names]
    assert all(rate == 8000 for _, rate in clips)
    audio = np.concatenate([clips[0][0], silence(1.0, 8000), clips[1][0], silence(1.0, 8000)])
    engine = ThreadRecordingEngine(whisper)

    async def scenario() -> list[StreamEvent]:
        stream = RecognitionStream(engine, 8000, executor)
        consumer = asyncio.create_task(collect(stream))
        for i in range(0, len(audio), 160):
            stream.feed(audio[i : i + 160])
            await asyncio.sleep(0)  # frames arrive one by one, interleaved with other work
        stream.flush()
        return await asyncio.wait_for(consumer, 60)  # a hang guard, not a speed bound

    events = asyncio.run(scenario())
    finals = [e for e in events if isinstance(e, Final)]
    assert len(finals) == 2
    # measured 0.133 (A10_tel8k) and 0.0 (A40_tel8k)
    for name, final in zip(names, finals, strict=True):
        ref = (HOTLINE / f"{name}.txt").read_text(encoding="utf-8").strip()
        assert_transcript_close(final.transcript.text, ref, 0.35, what=f"{name} streamed")
    assert finals[0].t_end_s < finals[1].t_end_s
    # The loop stays responsive because every decode runs in the pool, never on the loop's
    # thread (how long the loop was blocked is measured by `ivr bench asr`, max loop gap).
    decodes = [thread for method, thread in engine.threads if method != "accept_audio"]
    assert len(decodes) >= 2  # at least one decode per utterance (more: speculative ones)
    assert all(thread.startswith("asr") for _, thread in engine.threads), engine.threads
