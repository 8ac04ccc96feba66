"""ASR benchmark: stream manifest audio through the real recognition path and score it.

Each file goes through `RecognitionStream` exactly as call audio does (20 ms frames, the VAD
endpointer, the shared thread pool), fed as fast as the recognizer keeps up, or with
`realtime` at the pace of a call (a speculative decode only gets ahead of the endpoint when
the trailing silence takes its real time; the real-time factor then reads about 1). Measured
per (dataset, engine, band): character error rate of the concatenated finals, real-time
factor (processing time / audio time), end of speech → final latency (from feeding the frame
that completes an utterance to receiving its Final), peak RSS, the largest gap of a 20 ms
ticker on the event loop (decoding must never block the loop) and how many speculative
decodes were started and wasted. With `calls` > 1, that many files stream at once, at call
pace, sharing a pool of `pool` decode workers as calls share the server's: latency then
includes waiting for a worker. The telephone band is 8 kHz μ-law: a provided
`<name>_tel8k.wav` or the file resampled to 8 kHz, then μ-law encoded and decoded. Reads
manifests and audio files (sox for formats libsndfile cannot read); writes nothing.
"""

from __future__ import annotations

import asyncio
import csv
import re
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from asr.base import RecognizerEngine
from asr.events import Final, RecognitionFailed
from asr.stream import DEFAULT_SPECULATE_AFTER_S, RecognitionStream, make_executor
from asr.textnorm import cer, scoring_text
from ivr.bench.audio import TEL_RATE, load_audio, telephone_band
from pcm.files import AudioFileError

Band = Literal["16k", "tel"]
FRAME_MS = 20
TICK_S = 0.020
CHINESE_SHARE = 0.9  # a scored "Chinese" reference is at least this share Han characters
SHORT_UTTERANCE_S = 5.0  # the latency goal is stated for utterances up to this long
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TRUE = {"1", "true", "yes", "y", "reliable"}


# ---- manifests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestRow:
    """One scored file: its path (resolved against the manifest) and reference transcript."""

    path: Path
    reference: str


@dataclass(frozen=True)
class Manifest:
    name: str
    rows: list[ManifestRow]
    skipped: list[tuple[str, str]]  # (file, why) for rows left out of scoring


def dataset_name(manifest: Path) -> str:
    """`real_mandarin/manifest.tsv` → "real_mandarin"; `hotline_queries/setA.tsv` → ".../setA"."""
    folder = manifest.resolve().parent.name
    return folder if manifest.stem == "manifest" else f"{folder}/{manifest.stem}"


def is_chinese(text: str) -> bool:
    """True when at least CHINESE_SHARE of the scored characters are Han characters.

    A Chinese sentence naming "Microsoft" counts; English or half-English code-switching
    does not.
    """
    chars = scoring_text(text)
    han = sum(1 for ch in chars if _HAN.match(ch))
    return bool(chars) and han >= CHINESE_SHARE * len(chars)


def skip_reason(row: dict[str, str], lang: str) -> str | None:
    """Why a manifest row is not scored, or None when it is reliable.

    The rule: a non-empty reference (`transcript` or `text`); not marked unreliable (a
    `reliable` column that is not true/yes/1, or `transcript_source=none` in `notes`); and,
    with lang "zh", Chinese (at least 90% Han characters: English and code-switched rows are
    out, because the engines are forced to one language). Other languages keep every script.
    """
    reference = (row.get("transcript") or row.get("text") or "").strip()
    if not reference:
        return "no transcript"
    reliable = row.get("reliable")
    if reliable is not None and reliable.strip().lower() not in _TRUE:
        return f"reliable={reliable.strip() or 'empty'}"
    if "transcript_source=none" in (row.get("notes") or ""):
        return "transcript_source=none"
    if lang == "zh" and not is_chinese(reference):
        return "not Chinese"
    return None


def read_manifest(path: Path, lang: str = "zh") -> Manifest:
    """Rows of a TSV manifest (columns `file` and `transcript` or `text`) split by the rule."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        columns = set(reader.fieldnames or [])
        if "file" not in columns or not columns & {"transcript", "text"}:
            raise ValueError(f"{path}: needs a 'file' and a 'transcript' or 'text' column")
        rows, skipped = [], []
        for row in reader:
            why = skip_reason(row, lang)
            if why is None:
                reference = (row.get("transcript") or row.get("text") or "").strip()
                rows.append(ManifestRow(path.parent / row["file"], reference))
            else:
                skipped.append((row["file"], why))
    return Manifest(dataset_name(path), rows, skipped)


# ---- audio ----------------------------------------------------------------------------------


def band_audio(path: Path, band: Band) -> tuple[np.ndarray, int]:
    samples, rate = load_audio(path)
    if band == "tel":
        return telephone_band(path, samples, rate), TEL_RATE
    return samples, rate


# ---- one file through the stream ------------------------------------------------------------


@dataclass
class StreamRun:
    """What streaming one file produced and how long each part took (wall clock)."""

    texts: list[str]
    latencies_s: list[float]  # per utterance: endpoint frame fed → its Final received
    speech_s: list[float]  # per utterance: detected speech span
    failures: list[str]
    wall_s: float
    max_gap_s: float
    speculations: int = 0  # speculative decodes started
    speculations_wasted: int = 0  # ... dropped because speech resumed
    confidences: list[tuple[float, float]] = field(default_factory=list)  # (conf, audio s)
    alternatives: list[tuple[str, ...]] = field(default_factory=list)  # per final, runners-up

    @property
    def confidence(self) -> float | None:
        """The finals' confidence weighted by their audio (None: the engine gives none)."""
        weight = sum(s for _, s in self.confidences)
        if not self.confidences or weight <= 0:
            return None
        return sum(c * s for c, s in self.confidences) / weight


async def _tick(gaps: list[float]) -> None:
    """A 20 ms ticker standing in for outbound media frames; records its longest gap (the
    last, unfinished one too: a run shorter than a tick still has one)."""
    last = time.perf_counter()
    try:
        while True:
            await asyncio.sleep(TICK_S)
            now = time.perf_counter()
            gaps[0] = max(gaps[0], now - last)
            last = now
    finally:
        gaps[0] = max(gaps[0], time.perf_counter() - last)


async def _collect(stream: RecognitionStream, out: list[tuple[object, float]]) -> None:
    async for event in stream.events():
        if isinstance(event, Final | RecognitionFailed):
            out.append((event, time.perf_counter()))


async def stream_file(
    engine: RecognizerEngine,
    samples: np.ndarray,
    rate: int,
    executor: Executor,
    *,
    speculate_after_s: float = DEFAULT_SPECULATE_AFTER_S,
    realtime: bool = False,
    context: str | None = None,
    choices: tuple[str, ...] = (),
) -> StreamRun:
    """Feed 20 ms frames, each once the recognizer has caught up (as it does in real time)
    and, with `realtime`, not before its time in the call. `context`: what the caller had
    just heard (the bot's question), and `choices` the replies it expects, as a call sets
    them (`RecognitionStream.set_context`)."""
    gaps = [0.0]
    ticker = asyncio.create_task(_tick(gaps))
    results: list[tuple[object, float]] = []
    stream = RecognitionStream(engine, rate, executor, speculate_after_s=speculate_after_s)
    if context or choices:
        stream.set_context(context, choices)
    consumer = asyncio.create_task(_collect(stream, results))
    ended_at: list[float] = []
    step = max(1, round(rate * FRAME_MS / 1000))
    started = time.perf_counter()
    for i in range(0, len(samples), step):
        if realtime and (ahead := started + i / rate - time.perf_counter()) > 0:
            await asyncio.sleep(ahead)
        _timed(stream, ended_at, samples[i : i + step])
        await asyncio.sleep(0)  # a real call yields between frames; so does the ticker
        await stream.wait_idle()
    _timed(stream, ended_at, None)
    await consumer
    wall = time.perf_counter() - started
    ticker.cancel()
    await asyncio.gather(ticker, return_exceptions=True)
    run = _summarise(results, ended_at, wall, gaps[0])
    run.speculations, run.speculations_wasted = stream.speculations, stream.speculations_wasted
    return run


def _timed(stream: RecognitionStream, ended_at: list[float], frame: np.ndarray | None) -> None:
    """Feed one frame (None: flush); note when, once for every utterance that ended."""
    before, now = stream.utterances_ended, time.perf_counter()
    if frame is None:
        stream.flush()
    else:
        stream.feed(frame)
    ended_at.extend([now] * (stream.utterances_ended - before))


def _summarise(
    results: list[tuple[object, float]], ended_at: list[float], wall: float, gap: float
) -> StreamRun:
    run = StreamRun([], [], [], [], wall, gap)
    for (event, got_at), fed_at in zip(results, ended_at, strict=True):
        run.latencies_s.append(got_at - fed_at)
        if isinstance(event, Final):
            run.texts.append(event.transcript.text)
            run.alternatives.append(event.transcript.alternatives)
            if event.transcript.confidence is not None:
                run.confidences.append((event.transcript.confidence, event.transcript.audio_s))
            start = event.t_start_s if event.t_start_s is not None else event.t_end_s
            run.speech_s.append(event.t_end_s - start)
        elif isinstance(event, RecognitionFailed):
            run.failures.append(event.error)
            run.speech_s.append(float("nan"))
    return run


# ---- a whole dataset ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pacing:
    """How files are streamed: speculative decoding (0 disables), real-time feeding, and
    how many calls at once on how many decode workers."""

    speculate_after_s: float = DEFAULT_SPECULATE_AFTER_S
    realtime: bool = False
    calls: int = 1
    pool: int = 1

    def __post_init__(self) -> None:
        if not self.speculate_after_s >= 0:
            raise ValueError(f"speculate_after_s must be 0 or positive, got "
                             f"{self.speculate_after_s}")
        if self.calls < 1 or self.pool < 1:
            raise ValueError(f"calls and pool must be at least 1, got {self.calls} "
                             f"and {self.pool}")
        if self.calls > 1 and not self.realtime:
            raise ValueError("concurrent calls need real-time pacing (--realtime): fed as "
                             "fast as possible, they only measure a queue")

    def executor(self) -> Executor:
        return make_executor(self.pool)


@dataclass
class FileResult:
    file: str
    reference: str
    hypothesis: str
    cer: float
    audio_s: float
    wall_s: float
    latencies_s: list[float]
    speech_s: list[float]
    max_gap_s: float
    failures: list[str] = field(default_factory=list)
    speculations: int = 0
    speculations_wasted: int = 0


@dataclass
class RowSummary:
    """One table row: a dataset through one engine in one band."""

    dataset: str
    engine: str
    band: Band
    files: int
    skipped: int
    cer_mean: float
    cer_median: float
    cer_pooled: float
    rtf: float
    latency_p50_s: float
    latency_p90_s: float
    latency_short_p50_s: float  # utterances with ≤ SHORT_UTTERANCE_S of speech
    utterances: int
    peak_rss_mb: float
    max_loop_gap_ms: float
    speculations: int = 0  # speculative decodes started (whole-utterance engines)
    speculations_wasted: int = 0  # ... dropped because the caller spoke again
    calls: int = 1  # files streamed at once
    pool: int = 1  # decode workers they shared


def peak_rss_mb() -> float:
    """High-water mark of this process's resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: Sequence[float], q: float) -> float:
    clean = [v for v in values if v == v]  # drop NaN
    return float(np.percentile(clean, q)) if clean else float("nan")


async def bench_file(
    engine: RecognizerEngine,
    row: ManifestRow,
    band: Band,
    executor: Executor,
    pacing: Pacing | None = None,
) -> FileResult:
    samples, rate = band_audio(row.path, band)
    pacing = pacing or Pacing()
    run = await stream_file(engine, samples, rate, executor,
                            speculate_after_s=pacing.speculate_after_s, realtime=pacing.realtime)
    hypothesis = " ".join(t for t in run.texts if t)
    return FileResult(
        row.path.name, row.reference, hypothesis, cer(row.reference, hypothesis),
        len(samples) / rate, run.wall_s, run.latencies_s, run.speech_s, run.max_gap_s,
        run.failures, run.speculations, run.speculations_wasted,
    )


def summarise(
    dataset: str,
    engine: str,
    band: Band,
    results: list[FileResult],
    skipped: int,
    pacing: Pacing | None = None,
) -> RowSummary:
    cers = [r.cer for r in results]
    ref_chars = [len(scoring_text(r.reference)) for r in results]
    latencies = [x for r in results for x in r.latencies_s]
    short = [x for r in results for x, s in zip(r.latencies_s, r.speech_s, strict=True)
             if s <= SHORT_UTTERANCE_S]
    audio = sum(r.audio_s for r in results)
    nan = float("nan")
    return RowSummary(
        dataset, engine, band, len(results), skipped,
        statistics.fmean(cers) if cers else nan,
        statistics.median(cers) if cers else nan,
        sum(c * n for c, n in zip(cers, ref_chars, strict=True)) / max(1, sum(ref_chars)),
        sum(r.wall_s for r in results) / audio if audio else nan,
        percentile(latencies, 50), percentile(latencies, 90), percentile(short, 50),
        len(latencies), peak_rss_mb(), 1000 * max((r.max_gap_s for r in results), default=0.0),
        sum(r.speculations for r in results), sum(r.speculations_wasted for r in results),
        pacing.calls if pacing else 1, pacing.pool if pacing else 1,
    )


Progress = Callable[[int, int, FileResult | None, str], None]


async def bench_rows(
    engine: RecognizerEngine,
    rows: list[ManifestRow],
    band: Band,
    progress: Progress | None = None,
    pacing: Pacing | None = None,
) -> tuple[list[FileResult], int]:
    """Every row through `engine` in `band`; unreadable files are reported and skipped.

    `pacing.calls` files stream at once (one call per slot; a slot takes the next file when
    its call ends), sharing one pool of `pacing.pool` decode workers. Results keep row order.
    """
    pacing = pacing or Pacing()
    executor = pacing.executor()
    results: list[FileResult | None] = [None] * len(rows)
    todo = iter(enumerate(rows))
    done = [0, 0]  # files finished, unreadable

    async def slot() -> None:
        for index, row in todo:
            try:
                result = await bench_file(engine, row, band, executor, pacing)
            except AudioFileError as exc:
                done[0] += 1
                done[1] += 1
                if progress:
                    progress(done[0], len(rows), None, str(exc))
                continue
            results[index] = result
            done[0] += 1
            if progress:
                progress(done[0], len(rows), result, "")

    try:
        await asyncio.gather(*(slot() for _ in range(min(pacing.calls, max(1, len(rows))))))
    finally:
        executor.shutdown(wait=True)
    return [r for r in results if r is not None], done[1]


# ---- presentation ---------------------------------------------------------------------------

TABLE_HEADER = (
    "| dataset | engine | band | files | CER mean | CER median | CER pooled | RTF "
    "| latency p50 | latency p90 | p50 ≤5 s | peak MB | max loop gap ms |"
)


def _pct(x: float) -> str:
    return "–" if x != x else f"{100 * x:.1f}%"


def _secs(x: float) -> str:
    return "–" if x != x else f"{x:.2f} s"


def table_row(row: RowSummary) -> str:
    files = f"{row.files}" + (f" (+{row.skipped} skipped)" if row.skipped else "")
    cells = [
        row.dataset, row.engine, "8 kHz μ-law" if row.band == "tel" else "16 kHz", files,
        _pct(row.cer_mean), _pct(row.cer_median), _pct(row.cer_pooled), f"{row.rtf:.3f}",
        _secs(row.latency_p50_s), _secs(row.latency_p90_s), _secs(row.latency_short_p50_s),
        f"{row.peak_rss_mb:.0f}", f"{row.max_loop_gap_ms:.0f}",
    ]
    return "| " + " | ".join(cells) + " |"


def markdown_table(rows: list[RowSummary]) -> str:
    separator = "|" + "---|" * TABLE_HEADER.count(" | ") + "---|"
    return "\n".join([TABLE_HEADER, separator, *(table_row(r) for r in rows)])
