"""`ivr transcribe`: decode audio files with the configured recognizer and print the text.

`add_transcribe_parser(subparsers)` registers it on the `ivr` argument parser; the handler
returns an exit code. Problems a user can fix (a missing model, an unreadable file) print one
line on stderr, never a stack trace. Long files are cut at quiet points into windows Whisper
can take. Reads audio files and the model cache.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from asr.base import ModelNotAvailable, RecognizerEngine, Transcript, engine_reason

STREAMING_ENGINES = frozenset({"vosk"})  # decode while fed; others take whole utterances
STREAM_CHUNK_S = 0.5  # how much audio a streaming engine gets per call
WHISPER_WINDOW_S = 28.0  # Whisper sees 30 s at most; cut a little before, at a quiet point
CUT_SEARCH_S = 8.0  # look this far back from the window end for the quietest moment
CUT_FRAME_S = 0.03

Subparsers = Any  # argparse's _SubParsersAction is private


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class FileTranscript:
    """One file's result, as printed by `ivr transcribe --json` (one line per file)."""

    file: str
    text: str
    duration_s: float
    elapsed_s: float
    engine: str
    confidence: float | None


def split_long_audio(
    samples: np.ndarray, rate: int, max_s: float = WHISPER_WINDOW_S, search_s: float = CUT_SEARCH_S
) -> list[np.ndarray]:
    """Cut audio into pieces of at most `max_s`, each cut at the quietest 30 ms frame within
    the last `search_s` of the window, so words are rarely split. Pieces concatenate back."""
    max_n, frame = int(max_s * rate), max(1, int(CUT_FRAME_S * rate))
    search_n = max(frame, min(int(search_s * rate), max_n - frame) // frame * frame)
    pieces: list[np.ndarray] = []
    start = 0
    while len(samples) - start > max_n:
        window_start = start + max_n - search_n
        window = samples[window_start : window_start + search_n].astype(np.float64)
        energy = np.square(window.reshape(-1, frame)).mean(axis=1)
        cut = window_start + int(np.argmin(energy)) * frame + frame // 2
        pieces.append(samples[start:cut])
        start = cut
    pieces.append(samples[start:])
    return pieces


def _combine(transcripts: list[Transcript]) -> tuple[str, float | None]:
    """Join piece texts (no space between Chinese pieces); duration-weighted confidence."""
    from asr.vosk_engine import join_words  # the same joining rule as Vosk's words

    text = join_words([t.text for t in transcripts if t.text])
    scored = [(t.confidence, t.audio_s) for t in transcripts if t.confidence is not None]
    weight = sum(s for _, s in scored)
    confidence = sum(c * s for c, s in scored) / weight if scored and weight > 0 else None
    return text, confidence


def _decode(
    engine: RecognizerEngine,
    samples: np.ndarray,
    phrases: list[str] | None,
    on_partial: Callable[[str], None] | None,
) -> tuple[str, float | None]:
    recognizer = engine.new_recognizer(phrases)
    if engine.name in STREAMING_ENGINES:
        step = max(1, int(STREAM_CHUNK_S * engine.sample_rate))
        for i in range(0, len(samples), step):
            partial = recognizer.accept_audio(samples[i : i + step])
            if partial and on_partial is not None:
                on_partial(partial)
        result = recognizer.finish()
        return result.text, result.confidence
    pieces = []
    for piece in split_long_audio(samples, engine.sample_rate):
        recognizer.accept_audio(piece)
        pieces.append(recognizer.finish())
    return _combine(pieces)


def transcribe_file(
    engine: RecognizerEngine,
    path: str | Path,
    phrases: list[str] | None = None,
    on_partial: Callable[[str], None] | None = None,
) -> FileTranscript:
    """Read any audio file soundfile can (stereo folded to mono), resample to the engine's
    rate, and decode it. Raises `ivr.audiofile.AudioFileError` for unreadable files."""
    from pcm.files import read_audio
    from pcm.resample import resample

    started = time.perf_counter()
    samples, rate = read_audio(path)
    if rate != engine.sample_rate:
        samples = resample(samples, rate, engine.sample_rate)
    text, confidence = _decode(engine, samples, phrases, on_partial)
    return FileTranscript(
        file=str(path),
        text=text,
        duration_s=round(len(samples) / engine.sample_rate, 3),
        elapsed_s=round(time.perf_counter() - started, 3),
        engine=engine.name,
        confidence=None if confidence is None else round(confidence, 3),
    )


def _format_transcript(result: FileTranscript, as_json: bool) -> str:
    if as_json:
        return json.dumps(asdict(result), ensure_ascii=False)
    confidence = "-" if result.confidence is None else f"{result.confidence:.2f}"
    return (f"{result.file}: {result.text}\n"
            f"    duration {result.duration_s:.2f} s, elapsed {result.elapsed_s:.2f} s, "
            f"engine {result.engine}, confidence {confidence}")


def _phrase_list(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    phrases = [p.strip() for p in raw.replace("，", ",").split(",")]
    return [p for p in phrases if p] or None


def _run_transcribe(args: argparse.Namespace) -> int:
    from asr.engines import load_engine
    from pcm.files import AudioFileError

    try:
        engine = load_engine(args.engine, model_dir=args.model, cache_dir=args.cache_dir,
                             language=args.language)
    except ModelNotAvailable as exc:
        _error(str(exc))
        return 1
    print(f"engine: {engine.name} ({engine_reason(engine)})", file=sys.stderr, flush=True)
    phrases = _phrase_list(args.phrases)

    def show_partial(text: str) -> None:
        print(f"  … {text}", file=sys.stderr, flush=True)

    status = 0
    for path in args.files:
        try:
            result = transcribe_file(engine, path, phrases,
                                     show_partial if args.partials else None)
        except AudioFileError as exc:
            _error(str(exc))
            status = 1
            continue
        print(_format_transcript(result, args.json), flush=True)
    return status


def add_transcribe_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Register `transcribe FILE... [--engine] [--model] [--language] [--json]`."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "transcribe", help="transcribe audio files with the speech recognizer",
        description="Transcribe audio files (any format soundfile reads, any rate, stereo "
                    "folded to mono) and print text, duration, elapsed time and confidence.")
    p.add_argument("files", nargs="+", type=Path, help="audio files")
    p.add_argument("--engine", choices=["auto", "vosk", "whisper"], default="auto",
                   help="recognizer (default auto: Vosk if a model for the language is "
                        "installed, else Whisper)")
    p.add_argument("--model", help="model directory or name (default: $IVR_ASR_MODEL)")
    p.add_argument("--language", default="zh", help="language spoken (default zh)")
    p.add_argument("--cache-dir", type=Path, help="model cache root (default $IVR_CACHE_DIR)")
    p.add_argument("--phrases", help="comma-separated phrase list; Vosk models that support "
                                     "grammars only hear these")
    p.add_argument("--partials", action="store_true",
                   help="print partial results on stderr while decoding (Vosk)")
    p.add_argument("--json", action="store_true",
                   help='one JSON line per file: {"file","text","duration_s","elapsed_s",'
                        '"engine","confidence"}')
    p.set_defaults(func=_run_transcribe)
    return p

