"""`ivr bench blind-audio`: a blind split scored as text and through the live recognition path.

Argument parsing and printing around `ivr.bench.blind_audio`. Progress goes to stderr
(`render 12/322`, `recognize 40/322`), the text-vs-audio table (or `--json`) to stdout. Only
aggregate metrics are printed unless `--show-lines` is given, and `--show-lines` is refused
on a test split (`test.jsonl`): the held-out split may be scored, never read
(tests/data/blind/README.md). A missing kit, model or split prints one line and exits 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from pathlib import Path
from typing import Any

from asr.base import ModelNotAvailable
from asr.engines import load_engine
from asr.whisper_models import DEFAULT_READINGS, DEFAULT_WINDOW_S
from dialog.intents import KnowledgeBaseError, load_knowledge_base
from dialog.matcher import Matcher
from dialog.policy import DialogPolicy
from dialog.tools.answer_eval import read_answers
from dialog.tools.evaluate import read_eval_file
from dialog.tools.matchcli import default_kb_path
from ivr.bench.blind_audio import (
    AudioReport,
    Renderer,
    evaluate_answer_audio,
    evaluate_audio,
    format_answer_report,
    format_audio_report,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SHARED = REPO.parent / "shared"
DEFAULT_CACHE = REPO / "var" / "blind_audio"
HELD_OUT_NAMES = frozenset({"test.jsonl"})


def add_blind_audio_parser(kinds: Any) -> None:
    """Register `blind-audio` on the `ivr bench` subcommand parser."""
    p = kinds.add_parser(
        "blind-audio", help="a blind split as text and as phone-band caller audio through "
        "the recognizer",
        description="Render each request line of a blind split to 8 kHz telephone-band "
        "caller audio with the shared speech kit (cached), stream it through the recognizer "
        "as a call does, match the transcript, and print text vs audio metrics and the "
        "transcripts' CER.")
    p.add_argument("file", type=Path, help="a blind split (tests/data/blind/dev.jsonl)")
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED, metavar="DIR",
                   help="shared folder holding audio/speech_kit/splice.py (default ../shared)")
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, metavar="DIR",
                   help="rendered audio, keyed by text (default var/blind_audio)")
    p.add_argument("--kb", type=Path, default=None, help="knowledge base (default intents.yaml)")
    p.add_argument("--engine", choices=["auto", "whisper", "vosk"], default="whisper")
    p.add_argument("--model", help="local model directory for the engine")
    p.add_argument("--window", type=float, default=DEFAULT_WINDOW_S, metavar="S",
                   help=f"Whisper: seconds of audio the encoder sees (default "
                   f"{DEFAULT_WINDOW_S:g}, as the server)")
    p.add_argument("--beam-size", type=int, default=5, metavar="N",
                   help="Whisper: beam size (default 5, as the server)")
    p.add_argument("--fallback", action=argparse.BooleanOptionalAction, default=True,
                   help="Whisper: decode again at higher temperatures when a decode looks "
                   "unsure (faster-whisper's temperature fallback)")
    p.add_argument("--readings", type=int, default=DEFAULT_READINGS, metavar="N",
                   help=f"Whisper: beam hypotheses per utterance, the runners-up tried when "
                   f"the best means nothing (default {DEFAULT_READINGS}, as the server; 1: the "
                   f"best only)")
    p.add_argument("--limit", type=int, help="only the first N lines")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.add_argument("--answers", action="store_true",
                   help="score the answers to the bot's own questions (kind: answer) instead "
                   "of the requests: each read by the policy right after its question, from "
                   "the text and from the audio")
    p.add_argument("--question-context", action=argparse.BooleanOptionalAction, default=True,
                   help="with --answers: give the recognizer the bot's question as the text "
                   "before each answer, as a call does (IVR_ASR_QUESTION_CONTEXT; default on)")
    p.add_argument("--reply-choices", action=argparse.BooleanOptionalAction, default=True,
                   help="with --answers: score the replies each question expects against the "
                   "audio, as a call does (IVR_ASR_REPLY_CHOICES; default on)")
    p.add_argument("--no-transcript-cache", action="store_true",
                   help="recognize every line again (transcripts are cached per recognizer "
                   "beside the audio, so a matcher change re-scores in seconds)")
    p.add_argument("--show-lines", action="store_true",
                   help="also list the lines audio got wrong that text got right (refused "
                   "on a test split)")
    p.add_argument("--dump", type=Path, default=None, metavar="FILE",
                   help="write every line (text, transcript, confidence, CER, both decisions) "
                   "as JSON lines, to choose thresholds on (refused on a test split)")
    p.set_defaults(func=run_blind_audio)


def run_blind_audio(args: argparse.Namespace) -> int:
    """Entry point; returns the exit status."""
    if (args.show_lines or args.dump) and args.file.name in HELD_OUT_NAMES:
        print("ivr bench blind-audio: --show-lines and --dump are refused on the held-out "
              "test split (only its aggregate metrics may be read)", file=sys.stderr)
        return 2
    try:
        lines = read_eval_file(args.file)
        rows = read_answers(args.file) if getattr(args, "answers", False) else []
        kb = load_knowledge_base(args.kb or default_kb_path())
        engine = load_engine(args.engine, model_dir=args.model, window_s=args.window,
                             beam_size=args.beam_size, readings=args.readings)
        if hasattr(engine, "fallback"):
            engine.fallback = args.fallback
    except (OSError, ValueError, KnowledgeBaseError, ModelNotAvailable) as exc:
        print(f"ivr bench blind-audio: {exc}", file=sys.stderr)
        return 2
    renderer = Renderer(args.shared, args.cache)
    cached = not args.no_transcript_cache
    try:
        if getattr(args, "answers", False):
            answers = asyncio.run(evaluate_answer_audio(
                DialogPolicy(kb), Matcher(kb), rows[: args.limit] if args.limit else rows,
                engine, renderer, progress=_progress, use_cache=cached,
                question_context=args.question_context, reply_choices=args.reply_choices))
            print(json.dumps(_clean(answers.metrics()), ensure_ascii=False) if args.json
                  else format_answer_report(answers), end="\n" if args.json else "")
            return 0
        report = asyncio.run(evaluate_audio(
            Matcher(kb), lines[: args.limit] if args.limit else lines, engine, renderer,
            progress=_progress, use_cache=cached))
    except FileNotFoundError as exc:
        print(f"ivr bench blind-audio: {exc}", file=sys.stderr)
        return 2
    if args.dump:
        write_dump(report, args.dump)
    if args.json:
        print(json.dumps(_clean(report_json(report)), ensure_ascii=False))
    else:
        print(format_audio_report(report, str(args.file), show_lines=args.show_lines), end="")
    return 0


def report_json(report: AudioReport) -> dict[str, Any]:
    return {"metrics": report.metrics(), "unrendered_count": len(report.unrendered)}


def write_dump(report: AudioReport, path: Path) -> None:
    """One JSON object per heard line, for choosing thresholds on a dev split."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for heard, text, audio in zip(report.heard, report.text.lines, report.audio.lines,
                                      strict=True):
            row = {"text": heard.line.text, "expected": heard.line.expected,
                   "transcript": heard.transcript, "confidence": heard.confidence,
                   "cer": heard.cer, "missing": heard.missing, "text_got": text.got,
                   "text_correct": text.correct, "audio_got": audio.got,
                   "audio_correct": audio.correct, "audio_score": audio.result.score,
                   "audio_action": audio.result.action}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _progress(stage: str, done: int, total: int) -> None:
    if done == total or done % 10 == 0:
        end = "\n" if done == total else "\r"
        print(f"{stage} {done}/{total}", file=sys.stderr, end=end, flush=True)


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value
