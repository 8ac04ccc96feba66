"""RecognitionStream: ordering, failures, cancellation (scripted engine) and the real engine."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from asr.base import RecognizerEngine, Transcript
from asr.engines import load_engine
from asr.models import assemble_whisper_base
from asr.stream import (
    BargeIn,
    Final,
    RecognitionFailed,
    RecognitionStream,
    SpeechStarted,
    StreamEvent,
    make_executor,
)
from asr.textnorm import cer
from ivr.audiofile import read_audio

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

    def __init__(self, fail_on: tuple[int, ...] = (), gate: threading.Event | None = None):
        self.fail_on = fail_on
        self.gate = gate
        self.lengths: list[int] = []
        self.threads: list[str] = []

    def new_recognizer(self, phrases: list[str] | None = None) -> FakeRecognizer:
        return FakeRecognizer(self)


class FakeRecognizer:
    sample_rate = 16000

    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine
        self.chunks: list[np.ndarray] = []

    def accept_audio(self, samples: np.ndarray) -> str | None:
        assert samples.dtype == np.int16
        self.chunks.append(samples)
        return None

    def finish(self) -> Transcript:
        n = sum(len(c) for c in self.chunks)
        self.chunks = []
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

    events = asyncio.run(scenario())
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


# ---- the real engine -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def whisper(tmp_path_factory: pytest.TempPathFactory) -> RecognizerEngine:
    model_dir = assemble_whisper_base(tmp_path_factory.getbasetemp() / "whisper-base")
    return load_engine("whisper", model_dir=model_dir)


@pytest.mark.slow
def test_real_engine_finals_in_order_and_loop_stays_responsive(
    whisper: RecognizerEngine, executor: ThreadPoolExecutor
) -> None:
    names = ["A10_tel8k", "A40_tel8k"]
    clips = [read_audio(HOTLINE / f"{n}.wav") for n in names]
    assert all(rate == 8000 for _, rate in clips)
    audio = np.concatenate([clips[0][0], silence(1.0, 8000), clips[1][0], silence(1.0, 8000)])

    async def scenario() -> tuple[list[StreamEvent], list[float]]:
        loop = asyncio.get_running_loop()
        gaps: list[float] = []

        async def tick() -> None:
            last = loop.time()
            while True:
                await asyncio.sleep(0.01)
                now = loop.time()
                gaps.append(now - last)
                last = now

        ticker = asyncio.create_task(tick())
        stream = RecognitionStream(whisper, 8000, executor)
        consumer = asyncio.create_task(collect(stream))
        for i in range(0, len(audio), 160):
            stream.feed(audio[i : i + 160])
            await asyncio.sleep(0)  # frames arrive one by one, interleaved with other work
        stream.flush()
        events = await asyncio.wait_for(consumer, 60)
        ticker.cancel()
        return events, gaps

    events, gaps = asyncio.run(scenario())
    finals = [e for e in events if isinstance(e, Final)]
    assert len(finals) == 2
    for name, final in zip(names, finals, strict=True):
        ref = (HOTLINE / f"{name}.txt").read_text(encoding="utf-8").strip()
        assert cer(ref, final.transcript.text) <= 0.35, final.transcript.text
    assert finals[0].t_end_s < finals[1].t_end_s
    # Decoding ran in the pool: no tick waited anywhere near as long as one decode took.
    longest_decode = max(f.transcript.decode_s for f in finals)
    assert max(gaps) < 0.5 * longest_decode, (max(gaps), longest_decode)
