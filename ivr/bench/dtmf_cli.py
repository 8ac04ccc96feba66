"""`ivr bench dtmf`: talk-off and tone detection of the in-band DTMF receiver, as tables.

By default it reads every speech recording it can find: the repository's fixtures and, when
the shared data sits beside the checkout (`../shared`), its real Mandarin recordings and
hotline queries, plus sentences made with its speech kit from the shared text datasets (made
once, then kept in the cache). Progress goes to stderr, the tables (markdown) or `--json` to
stdout. A missing folder given on the command line prints one line and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ivr.bench.dtmf import (
    TalkOff,
    generate_speech,
    read_sentences,
    speech_files,
    talk_off,
    talk_off_table,
    tone_results,
    tone_table,
)
from ivr.config import REPO_ROOT, ServerConfig

SHARED = REPO_ROOT.parent / "shared"
FIXTURES = REPO_ROOT / "audio_fixtures"
# every speech fixture (audio_fixtures/dtmf holds real key presses, so it is not speech)
DEFAULT_SPEECH = (FIXTURES / "speech", FIXTURES / "hotline", FIXTURES / "talk_off",
                  SHARED / "audio" / "real_mandarin", SHARED / "audio" / "hotline_queries")
SPLICE = SHARED / "audio" / "speech_kit" / "splice.py"
TEXTS = (SHARED / "datasets" / "bq_corpus" / "dev.tsv",
         SHARED / "datasets" / "ncp_policies_gov_qa" / "test_questions.tsv",
         SHARED / "datasets" / "citizen_messages" / "messages_hotspot_unlabeled.tsv")


def add_dtmf_parser(kinds: Any) -> None:
    """Register `dtmf` on the `ivr bench` subcommand parser."""
    p = kinds.add_parser(
        "dtmf", help="false digits per hour of speech, and detection of generated tones",
        description="Run the in-band DTMF receiver over speech in the telephone band (every "
        "digit is a false one) and over generated key presses (each must be found once).")
    p.add_argument("--speech", type=Path, action="append",
                   help="folder or file of speech recordings; repeatable (default: the "
                   "fixtures and ../shared's recordings)")
    p.add_argument("--kit-sentences", type=int, default=3000, metavar="N",
                   help="also make N sentences with ../shared's speech kit from its text "
                   "datasets, a third of them with noise (default 3000; 0: none)")
    p.add_argument("--sentences", type=Path, action="append",
                   help="text, TSV or JSON-lines files to take the kit's sentences from")
    p.add_argument("--speech-kit", type=Path, default=SPLICE, help="the kit's splice.py")
    p.add_argument("--work", type=Path, help="where made sentences are kept (default: "
                   "the cache, bench/dtmf-speech)")
    p.add_argument("--seeds", type=int, default=4, help="presses of every tone case")
    p.add_argument("--json", action="store_true", help="one JSON document")
    p.set_defaults(func=run_bench_dtmf)


def run_bench_dtmf(args: argparse.Namespace) -> int:
    """Entry point for `ivr bench dtmf`; returns the exit status."""
    given = args.speech or []
    missing = [str(p) for p in given if not p.exists()]
    if missing:
        print(f"ivr bench dtmf: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    folders = given or [d for d in DEFAULT_SPEECH if d.exists()]
    sources = [(_name(p), speech_files(p)) for p in folders]
    if args.kit_sentences > 0:
        made = _kit_speech(args)
        if made:
            sources.append((f"speech kit ({len(made)} sentences)", made))
    rows = [talk_off(name, files, _progress(name)) for name, files in sources if files]
    tones = tone_results(seeds=args.seeds)
    if args.json:
        print(json.dumps({"talk_off": [_row(r) for r in rows],
                          "tones": [{**asdict(t.case), "pressed": t.pressed, "found": t.found,
                                     "extra": t.extra, "passed": t.passed} for t in tones]},
                         ensure_ascii=False, indent=1))
    else:
        print(talk_off_table(rows), "", tone_table(tones), sep="\n")
        for row in rows:
            for f in row.false:
                print(f"false digit {f.key} at {f.at_s:.2f} s in {f.file}", file=sys.stderr)
    return 0


def _kit_speech(args: argparse.Namespace) -> list[Path]:
    texts = args.sentences or [t for t in TEXTS if t.exists()]
    if not args.speech_kit.is_file() or not texts:
        print(f"ivr bench dtmf: no speech kit at {args.speech_kit} or no sentences; "
              "skipping made speech (--kit-sentences 0 to silence this)", file=sys.stderr)
        return []
    per_file = -(-args.kit_sentences // len(texts))
    sentences = [s for t in texts for s in read_sentences(t, per_file)][:args.kit_sentences]
    work = args.work or ServerConfig.from_env().cache_dir / "bench" / "dtmf-speech"
    return generate_speech(args.speech_kit, sentences, work, progress=_progress("speech kit"))


def _name(path: Path) -> str:
    return f"fixtures/{path.name}" if path.parent == FIXTURES else path.name


def _progress(what: str) -> Any:
    def report(done: int, total: int, item: str) -> None:
        if done == total or done % 100 == 0:
            print(f"[{done}/{total}] {what}: {item}", file=sys.stderr, flush=True)
    return report


def _row(row: TalkOff) -> dict[str, Any]:
    return {"source": row.source, "files": row.files, "hours": round(row.seconds / 3600, 3),
            "unreadable": row.unreadable, "false_digits": [asdict(f) for f in row.false],
            "per_hour": round(row.per_hour, 2)}
