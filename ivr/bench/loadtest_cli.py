"""`ivr loadtest`: argument parsing and printing around `ivr.bench.loadtest`.

Progress goes to stderr (`[c=10] 7/20 calls done, 0 failed`), the table or `--json` to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ivr.bench.loadtest import (
    MAX_CALLS,
    MAX_CONCURRENCY,
    LevelReport,
    check_loopback,
    read_script,
    run_level,
)

COLUMNS = ("concurrency", "calls", "failed", "unanswered_turns", "p50_s", "p95_s", "p99_s",
           "max_frame_gap_ms", "p99_frame_gap_ms", "barge_in_p50_ms", "barge_in_max_ms",
           "barge_ins_missed", "underruns", "underrun_s", "intent_accuracy", "server_cpu_s",
           "server_rss_mb", "client_cpu_s", "wall_s")
# before → after each level, from /metrics: what grows when something leaks
GROWTH = (("fds", "open_fds"), ("threads", "threads"), ("tasks", "tasks"))


def add_loadtest_parser(sub: Any) -> None:
    p = sub.add_parser("loadtest", help="many simultaneous scripted callers against a server "
                       "on this machine: reply latency, failures, accuracy, server CPU/memory")
    p.add_argument("--url", default="ws://127.0.0.1:8080", help="the server (loopback only)")
    p.add_argument("--calls", type=int, default=10, help=f"calls per level (max {MAX_CALLS})")
    p.add_argument("--concurrency", default="1,5,10",
                   help=f"comma-separated levels of simultaneous calls (max {MAX_CONCURRENCY})")
    p.add_argument("--protocol", choices=["twilio", "l16"], default="twilio")
    p.add_argument("--script", type=Path, help='JSON list of steps: {"say": "a.wav", '
                   '"expect": "intent"}, {"press": "0"}, and {"say": "b.wav", '
                   '"barge_after_s": 1.0} to interrupt the reply to the step before, '
                   'and last {"hang_up_after_s": 1.0} to hang up that long after the step '
                   'before or, alone, after connecting; "say" may list several files '
                   '(and "expect" as many intents): caller n says the (n mod length)-th '
                   '(default: two hotline questions)')
    p.add_argument("--api-key", default=os.environ.get("IVR_API_KEY", ""),
                   help="supervisor/admin key to read the records for intent accuracy "
                   "(default IVR_API_KEY)")
    p.add_argument("--max-seconds", type=float, default=600.0,
                   help="deadline per level; calls still running are cancelled and failed")
    p.add_argument("--stagger", type=float, default=0.0,
                   help="spread the first calls' starts over this many seconds, as callers "
                   "arrive on a real line (default 0: all at once, the recognizer's worst "
                   "case)")
    p.add_argument("--json", action="store_true", help="one JSON object per level")
    p.set_defaults(func=run)


def _levels(spec: str) -> list[int]:
    levels = [int(x) for x in spec.split(",") if x.strip()]
    if not levels or any(not 1 <= c <= MAX_CONCURRENCY for c in levels):
        raise ValueError(f"--concurrency: levels from 1 to {MAX_CONCURRENCY}")
    return levels


def _cell(value: object) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _growth(report: LevelReport, key: str) -> str:
    before = getattr(report.server_before, key, None)
    after = getattr(report.server_after, key, None)
    return "–" if before is None or after is None else f"{before:.0f}→{after:.0f}"


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (uvicorn[standard] brings it, as it does for
    the server): the callers' side of 200 calls then takes less of the cores it shares with
    the server it measures. None: asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(args: argparse.Namespace) -> int:
    try:
        check_loopback(args.url)
        levels = _levels(args.concurrency)
        if not 1 <= args.calls <= MAX_CALLS:
            raise ValueError(f"--calls: 1 to {MAX_CALLS}")
        steps = read_script(args.script)
        if not 0 <= args.stagger <= 600:
            raise ValueError("--stagger: 0 to 600 seconds")
    except (ValueError, OSError) as exc:
        print(f"ivr loadtest: {exc}", file=sys.stderr)
        return 2
    reports: list[LevelReport] = []
    for level in levels:
        def progress(done: int, failed: int, total: int, level: int = level) -> None:
            print(f"[c={level}] {done}/{total} calls done, {failed} failed", file=sys.stderr,
                  flush=True)
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            report = runner.run(run_level(args.url, args.protocol, steps, args.calls, level,
                                          args.api_key, args.max_seconds, progress,
                                          args.stagger))
        reports.append(report)
        for error in report.errors:
            print(f"[c={level}] {error}", file=sys.stderr)
        if args.json:
            print(json.dumps(asdict(report), ensure_ascii=False), flush=True)
    if not args.json:
        header = [*COLUMNS, *(name for name, _ in GROWTH)]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in reports:
            row = asdict(r)
            cells = [_cell(row[c]) for c in COLUMNS] + [_growth(r, key) for _, key in GROWTH]
            print("| " + " | ".join(cells) + " |")
    return 1 if any(r.failed for r in reports) else 0
