"""`ivr bench tts`: argument parsing and printing around `ivr.bench.tts`.

Progress goes to stderr (`[neural 12/105] text…`), the markdown table or `--json` to stdout.
An engine that is not installed is reported on stderr and left out (asked for by name, it is
an error). Reads the knowledge base, the reference manifest and its audio; writes temporary
files, and with `--kit-reference` the speech kit's renders to the blind-audio cache
(`var/blind_audio/`, keyed by text).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ivr.bench.blind_audio_cli import DEFAULT_CACHE, DEFAULT_SHARED
from ivr.config import REPO_ROOT, ServerConfig

DEFAULT_REFERENCE = REPO_ROOT.parent / "shared" / "audio" / "hotline_queries" / "setA.tsv"


def add_tts_parser(kinds: Any) -> None:
    """Register `tts` on the `ivr bench` subcommand parser."""
    p = kinds.add_parser(
        "tts", help="intelligibility (CER, syllable error), RTF, first audio, memory and size "
        "of each installed voice on the telephone band",
        description="Render every prompt and answer of the knowledge base with each voice, "
        "pass it through the telephone band, transcribe it with the installed recognizer and "
        "score it against the speakable text; real human speech is the reference row.")
    p.add_argument("--kb", type=Path, default=REPO_ROOT / "intents.yaml",
                   help="knowledge base whose prompts and answers are rendered")
    p.add_argument("--engine", action="append", choices=["neural", "local", "espeak"],
                   help="voices to measure (repeatable; default: every installed one)")
    p.add_argument("--tts-model", default="", help="local voice folder (for the local engine)")
    p.add_argument("--tts-speed", type=float, default=ServerConfig.tts_speed,
                   help="neural/local speaking speed (as IVR_TTS_SPEED; default "
                   f"{ServerConfig.tts_speed:g}, the server's)")
    p.add_argument("--tts-threads", type=int, default=ServerConfig.tts_threads,
                   help="inference threads of the neural/local voice (as IVR_TTS_THREADS; "
                   f"default {ServerConfig.tts_threads}, the server's)")
    p.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE,
                   help="TSV of human recordings (file, text) for the reference row "
                   "(their _tel8k.wav siblings are used); 'none' to skip")
    p.add_argument("--kit-reference", action="store_true",
                   help="add a row of the same texts said by human voices: spliced from real "
                   "word recordings by the shared speech kit (--shared), same band and "
                   "recognizer")
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                   help=f"the shared folder holding audio/speech_kit (default {DEFAULT_SHARED})")
    p.add_argument("--kit-cache", type=Path, default=DEFAULT_CACHE,
                   help="where the kit's renders are kept, keyed by text (default "
                   "var/blind_audio, shared with `ivr bench blind-audio`)")
    p.add_argument("--texts", type=Path,
                   help="render these texts instead of the knowledge base's: one per line, "
                   "or a TSV whose last column (or column `text`/`answer`) is the text; a "
                   "held-out set the voice's front end was not tuned on")
    p.add_argument("--limit", type=int, help="only the first N texts (and reference files)")
    p.add_argument("--asr-engine", choices=["auto", "whisper", "vosk"], default="auto")
    p.add_argument("--cache-dir", type=Path, help="hotline-ivr cache root (models)")
    p.add_argument("--with-call", action="store_true",
                   help="keep the recognizer decoding a recording in the background while "
                   "voices render, as a call in progress would (first audio under load)")
    p.add_argument("--timing-only", action="store_true",
                   help="render and time only (first audio, RTF, memory): no recognizer, no "
                   "reference; for measuring beside a load test (`ivr loadtest`)")
    p.add_argument("--json", action="store_true", help="rows and every text as JSON")
    p.set_defaults(func=run_bench_tts)


def _progress(label: str) -> Any:
    def show(done: int, total: int, text: str) -> None:
        print(f"[{label} {done}/{total}] {text[:24]}", file=sys.stderr, flush=True)

    return show


def run_bench_tts(args: argparse.Namespace) -> int:
    """Entry point for `ivr bench tts`; returns the exit status."""
    from asr.base import ModelNotAvailable
    from asr.engines import load_engine
    from dialog.intents import KnowledgeBaseError, load_knowledge_base
    from ivr.bench.asr import read_manifest
    from ivr.bench.blind_audio import Renderer
    from ivr.bench.tts import (
        EngineRow,
        bench_kit_reference,
        bench_reference,
        bench_voice,
        markdown_table,
        read_texts,
    )
    from ivr.services import speech_for, spoken_texts
    from ivr.tts import TtsError
    from ivr.voices.chain import VoiceChain, build_voice_chain

    try:
        kb = load_knowledge_base(args.kb)
        # the listener is a measuring instrument: Whisper's own 30 s window, as every score
        # of the voices in docs/benchmarks.md was taken, whatever the server's window is
        recognizer = (None if args.timing_only else
                      load_engine(args.asr_engine, cache_dir=args.cache_dir, window_s=30.0))
    except (KnowledgeBaseError, ModelNotAvailable) as exc:
        print(f"ivr bench tts: {exc}", file=sys.stderr)
        return 2
    try:
        texts = (read_texts(args.texts) if args.texts else spoken_texts(kb))[: args.limit]
    except (OSError, ValueError) as exc:
        print(f"ivr bench tts: --texts {args.texts}: {exc}", file=sys.stderr)
        return 2
    engines = args.engine or (["local"] if args.tts_model else []) + ["neural", "espeak"]
    rows: list[EngineRow] = []
    busy = None
    if args.with_call and args.reference.is_file() and recognizer is not None:
        from ivr.bench.tts import BackgroundCall

        busy = BackgroundCall(recognizer, read_manifest(args.reference).rows[0].path)
        busy.start()
    with tempfile.TemporaryDirectory(prefix="ivr-bench-voices-") as tmp:
        for engine in engines:
            try:
                full = build_voice_chain(engine, model=args.tts_model, cache_dir=Path(tmp),
                                         speed=args.tts_speed,
                                         threads=args.tts_threads, timeout_s=30.0)
            except TtsError as exc:
                print(f"ivr bench tts: {engine}: {exc}", file=sys.stderr)
                if args.engine:
                    return 2
                continue
            for extra in full.voices[1:]:
                extra.close()
            chain = VoiceChain(full.voices[:1], full.reason)  # this voice alone
            try:
                rows.append(bench_voice(chain, texts, recognizer, speech_for(""),
                                        _progress(engine)))
            finally:
                chain.close()
    if busy is not None:
        busy.stop()
        print(f"ivr bench tts: background call decoded {busy.decodes} times", file=sys.stderr)
    if str(args.reference) != "none" and args.reference.is_file() and recognizer is not None:
        manifest = read_manifest(args.reference)
        pairs = [(r.path, r.reference) for r in manifest.rows][: args.limit]
        rows.append(bench_reference(pairs, recognizer, _progress("reference")))
    if args.kit_reference and recognizer is not None:
        renderer = Renderer(args.shared, args.kit_cache)
        try:
            rows.append(bench_kit_reference(texts, renderer, recognizer, _progress("kit")))
        except (FileNotFoundError, RuntimeError) as exc:
            print(f"ivr bench tts: --kit-reference: {exc}", file=sys.stderr)
            return 2
    label = ("none (--timing-only)" if recognizer is None else
             f"{recognizer.name} ({getattr(recognizer, 'reason', '')})")
    if args.json:
        print(json.dumps({"recognizer": label, "rows": [asdict(r) for r in rows]},
                         ensure_ascii=False, indent=1))
    else:
        print(markdown_table(rows, label))
    return 0
