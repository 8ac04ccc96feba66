"""`ivr kb hear`: write what the recognizer hears of every example (dialog.heard).

Each example of each intent is rendered as phone-band caller audio with the speech kit
(`../shared/audio/speech_kit/`: real human word recordings; the same renderer and cache as
`ivr bench blind-audio`), streamed through the recognizer exactly as a call's audio is (20 ms
frames, the endpointer, the decode pool), and the transcript is written to the readings file
beside the knowledge base (`intents.heard.jsonl`), which the matcher's classifier trains on.
Renders and transcripts are cached by text and recognizer (`var/blind_audio/`), so running it
again after adding examples only hears the new ones; on a machine without that cache,
`--missing` keeps the readings file's rows for examples it already holds and hears only the
others (a new intent's examples: minutes, not the hour a whole knowledge base takes).
Progress goes to stderr, the summary to stdout; a missing kit, model or knowledge base prints
one line and exits 2. The file is written whole at the end (a temporary file renamed), so an
interrupted run leaves the old one.

The examples must never include evaluation lines (tests/test_kb_content.py keeps them
apart), so what is heard of them is as far from the held-out sets as the examples are.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asr.base import ModelNotAvailable, RecognizerEngine
from asr.engines import load_engine
from asr.stream import make_executor
from asr.whisper_models import DEFAULT_WINDOW_S
from dialog.heard import heard_path
from dialog.intents import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from dialog.tools.matchcli import default_kb_path
from ivr.bench.blind_audio import Renderer, TranscriptCache, engine_key, hear
from ivr.bench.blind_audio_cli import DEFAULT_CACHE, DEFAULT_SHARED

__all__ = ["HeardExample", "add_hear_parser", "examples_to_hear", "hear_examples"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class HeardExample:
    """One example and what the recognizer made of it."""

    intent: str
    example: str
    heard: str
    confidence: float | None
    variant: int = 0

    def row(self, recognizer: str) -> dict[str, Any]:
        row = {"intent": self.intent, "example": self.example, "heard": self.heard,
               "confidence": self.confidence, "recognizer": recognizer}
        return row | ({"variant": self.variant} if self.variant else {})


def examples_to_hear(kb: KnowledgeBase, per_intent: int = 0) -> list[tuple[str, str]]:
    """(intent id, example) for every intent's examples, or `per_intent` of them spread over
    its list (0: all)."""
    items: list[tuple[str, str]] = []
    for intent in kb.intents.values():
        examples = list(intent.examples)
        if per_intent and len(examples) > per_intent:
            step = len(examples) / per_intent
            examples = [examples[int(i * step)] for i in range(per_intent)]
        items += [(intent.id, text) for text in examples]
    return items


async def hear_examples(items: list[tuple[str, str]], engine: RecognizerEngine,
                        renderer: Renderer, progress: Progress | None = None,
                        ) -> tuple[list[HeardExample], list[tuple[str, str]]]:
    """What `engine` hears of each example as a caller says it, and the examples that could
    not be rendered or recognized (text, why)."""
    cache = TranscriptCache(renderer, engine)
    executor = make_executor(1)
    heard: list[HeardExample] = []
    failed: list[tuple[str, str]] = []
    try:
        for done, (intent, text) in enumerate(items, start=1):
            got = cache.get(text)
            if got is None:
                try:
                    audio = renderer.render(text)
                except RuntimeError as exc:
                    failed.append((text, str(exc)))
                    continue
                got = await hear(engine, audio.samples, executor)
                cache.put(text, got)
            if got.failures:
                failed.append((text, "; ".join(got.failures)))
            else:
                heard.append(HeardExample(intent, text, got.transcript, got.confidence,
                                          renderer.variant))
            if progress:
                progress(done, len(items))
    finally:
        executor.shutdown(wait=True)
    return heard, failed


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of an existing readings file (none when there is none); a broken file is an
    error the caller reports, never silently dropped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    rows = [json.loads(line) for line in lines if line.strip()]
    if not all(isinstance(row, dict) for row in rows):
        raise ValueError(f"{path}: every line must be a JSON object")
    return rows


def split_missing(items: list[tuple[str, str]], rows: list[dict[str, Any]], variant: int = 0,
                  ) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The rows to keep (their example is still in the knowledge base, in file order; every
    take) and the examples with no row of take `variant` yet, to be heard."""
    wanted = set(items)
    kept = [row for row in rows if (row.get("intent"), row.get("example")) in wanted]
    have = {(row["intent"], row["example"]) for row in kept
            if row.get("variant", 0) == variant}
    return kept, [item for item in items if item not in have]


def write_heard(path: Path, heard: list[HeardExample], recognizer: str,
                kept: list[dict[str, Any]] | None = None) -> None:
    """The readings file, replaced whole (never left half-written): `kept` rows first."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for row in kept or []:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        for item in heard:
            out.write(json.dumps(item.row(recognizer), ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def add_hear_parser(sub: Any) -> None:
    """Register `ivr kb hear` on the `kb` command's subparsers."""
    p = sub.add_parser("hear", help="hear every example through the phone band and the "
                       "recognizer; the classifier trains on what was heard")
    p.add_argument("--kb", type=Path, default=None,
                   help="knowledge base (default: ./intents.yaml, else the shipped one)")
    p.add_argument("--out", type=Path, default=None, help="readings file (default: beside "
                   "the knowledge base, intents.heard.jsonl: the one the matcher reads)")
    p.add_argument("--per-intent", type=int, default=0, metavar="N",
                   help="hear only N examples of each intent, spread over its list (0: all)")
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED, metavar="DIR",
                   help="the shared folder holding audio/speech_kit/ (default ../shared)")
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, metavar="DIR",
                   help="rendered audio and transcripts, keyed by text (default "
                   "var/blind_audio)")
    p.add_argument("--missing", action="store_true",
                   help="keep the readings file's rows for examples it holds; hear only "
                   "the examples it lacks (rows of removed examples are dropped)")
    p.add_argument("--variant", type=int, default=0, metavar="N",
                   help="hear another take of each example (N > 0: the kit's gaps and room "
                   "tone seeded differently); with --missing, rows already in the file are "
                   "kept and this take's readings are added beside them")
    p.add_argument("--engine", choices=["auto", "whisper", "vosk"], default="whisper")
    p.add_argument("--model", help="local model directory for the engine")
    p.add_argument("--window", type=float, default=DEFAULT_WINDOW_S, metavar="S",
                   help=f"Whisper: seconds of audio the encoder sees (default "
                   f"{DEFAULT_WINDOW_S:g}, as the server)")
    p.set_defaults(func=run_hear)


def run_hear(args: argparse.Namespace) -> int:
    """Entry point; returns the exit status."""
    kb_path = args.kb or default_kb_path()
    try:
        kb = load_knowledge_base(kb_path)
        engine = load_engine(args.engine, model_dir=args.model, window_s=args.window)
    except (OSError, ValueError, KnowledgeBaseError, ModelNotAvailable) as exc:
        print(f"ivr kb hear: {exc}", file=sys.stderr)
        return 2
    if args.per_intent < 0 or args.variant < 0:
        print("ivr kb hear: --per-intent and --variant must be 0 or more", file=sys.stderr)
        return 2
    if args.variant and not args.missing:
        print("ivr kb hear: --variant adds a take beside the file's readings: use it with "
              "--missing", file=sys.stderr)
        return 2
    items = examples_to_hear(kb, args.per_intent)
    out = args.out or heard_path(kb_path)
    kept: list[dict[str, Any]] = []
    if args.missing:
        try:
            kept, items = split_missing(items, read_rows(out), args.variant)
        except (ValueError, KeyError) as exc:
            print(f"ivr kb hear: {out}: cannot keep its readings ({exc}); run without "
                  "--missing to hear every example again", file=sys.stderr)
            return 2
        print(f"{len(kept)} readings kept, {len(items)} examples to hear", file=sys.stderr)
    try:
        heard, failed = asyncio.run(hear_examples(
            items, engine, Renderer(args.shared, args.cache, args.variant), _progress))
    except FileNotFoundError as exc:
        print(f"ivr kb hear: {exc}", file=sys.stderr)
        return 2
    write_heard(out, heard, engine_key(engine), kept)
    changed = sum(h.heard != h.example for h in heard)
    kept_note = f", {len(kept)} readings kept" if args.missing else ""
    print(f"{len(heard)} examples heard ({changed} heard differently from how they are "
          f"written), {len(failed)} not{kept_note}: {out}")
    for text, why in failed[:10]:
        print(f"  not heard: {text}: {why}")
    return 0


def _progress(done: int, total: int) -> None:
    if done == total or done % 25 == 0:
        end = "\n" if done == total else "\r"
        print(f"hear {done}/{total}", file=sys.stderr, end=end, flush=True)
