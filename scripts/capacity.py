"""Capacity of one `ivr serve` per recognizer setting: the table in docs/benchmarks.md.

For each setting it starts a server on 127.0.0.1 (its own SQLite file, the warm prompt cache,
the setting's flags), runs `ivr loadtest` at rising concurrency levels (real-time scripted
callers on loopback, two recorded questions each), stops climbing once a level fails the bar
(p95 reply > 1.5 s or any failed call), stops the server and moves on. Output: one markdown
row per level and, per setting, the highest level that met the bar.

    python scripts/capacity.py                      # the default settings and levels
    python scripts/capacity.py --levels 1,5,10 --setting "beam1=--asr-beam-size 1"
    python scripts/capacity.py --json > capacity.jsonl

Bounded: loopback only (ivr loadtest refuses anything else), a deadline per level, and a
setting stops at its first level over the bar. Run it on an otherwise idle machine: other
work on the cores shows up as latency.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
KEY = "capacity-admin-key-0123456789"
BAR_P95_S = 1.5
DEFAULT_SETTINGS = (
    "whisper beam 5 (default)=",
    "whisper beam 1=--asr-beam-size 1",
    "whisper beam 1, no speculation=--asr-beam-size 1 --env IVR_SPECULATE_AFTER_S=0",
    "fixed (no recognition)=--asr-engine fixed",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(flags: list[str], env_extra: dict[str, str], tmp: Path
                 ) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    # no call limit: the point is to find where the cores give out
    env = dict(os.environ, IVR_API_KEYS=f"admin:{KEY}", IVR_MAX_CALLS="0", **env_extra)
    cmd = [sys.executable, "-m", "ivr.cli", "serve", "--port", str(port),
           "--db", str(tmp / f"calls-{port}.sqlite3"), "--max-connections-per-address", "1000",
           "--limit-concurrency", "0", *flags]
    log = (tmp / f"server-{port}.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc, port
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"server did not start; see {log.name}")


def run_level(port: int, level: int, calls: int, deadline_s: float,
              script: str | None, stagger_s: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "ivr.cli", "loadtest", "--url", f"ws://127.0.0.1:{port}",
           "--calls", str(calls), "--concurrency", str(level), "--api-key", KEY,
           "--max-seconds", str(deadline_s), "--stagger", str(stagger_s), "--json"]
    if script:
        cmd += ["--script", script]
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    sys.stderr.write(out.stderr[-2000:])
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"loadtest printed no result (exit {out.returncode})")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def parse_setting(spec: str) -> tuple[str, list[str], dict[str, str]]:
    """'label=--flag value --env NAME=VALUE' → label, serve flags, environment."""
    label, _, rest = spec.partition("=")
    words, flags, env = shlex.split(rest), [], {}
    while words:
        word = words.pop(0)
        if word == "--env":
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        else:
            flags.append(word)
    return label.strip(), flags, env


def meets_bar(row: dict[str, Any]) -> bool:
    p95 = row.get("p95_s")
    return row["failed"] == 0 and row["unanswered_turns"] == 0 and p95 is not None \
        and p95 <= BAR_P95_S


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--setting", action="append", help="label=serve flags (repeatable; "
                   "'--env NAME=VALUE' sets a variable); default: beam 5, beam 1, beam 1 "
                   "without speculation, the fixed engine")
    p.add_argument("--levels", default="1,5,10,20,40", help="concurrency levels, rising")
    p.add_argument("--fixed-levels", default="1,10,50,100,200",
                   help="levels for settings with --asr-engine fixed")
    p.add_argument("--calls", type=int, default=0, help="calls per level (default: the "
                   "level itself, at least 2)")
    p.add_argument("--script", help="ivr loadtest script (default: two hotline questions)")
    p.add_argument("--max-seconds", type=float, default=300.0, help="deadline per level")
    p.add_argument("--stagger", type=float, default=0.0, help="ivr loadtest --stagger: "
                   "spread the callers' arrivals over this many seconds (0: all at once)")
    p.add_argument("--json", action="store_true", help="one JSON object per level")
    args = p.parse_args()
    settings = [parse_setting(s) for s in (args.setting or DEFAULT_SETTINGS)]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ivr-capacity-") as tmp:
        for label, flags, env in settings:
            spec = args.fixed_levels if "fixed" in flags else args.levels
            levels = [int(x) for x in spec.split(",")]
            print(f"== {label}: ivr serve {' '.join(flags)} {env or ''}", file=sys.stderr)
            proc, port = start_server(flags, env, Path(tmp))
            try:
                for level in levels:
                    calls = args.calls or max(level, 2)
                    row = {"setting": label, "stagger_s": args.stagger,
                           **run_level(port, level, calls, args.max_seconds, args.script,
                                       args.stagger)}
                    rows.append(row)
                    if args.json:
                        print(json.dumps(row, ensure_ascii=False), flush=True)
                    if not meets_bar(row):
                        break
            finally:
                proc.terminate()
                proc.wait(30)
    if not args.json:
        print_table(rows)
    return 0


def print_table(rows: list[dict[str, Any]]) -> None:
    cols = ("setting", "concurrency", "calls", "failed", "unanswered_turns", "p50_s", "p95_s",
            "p99_s", "max_frame_gap_ms", "p99_frame_gap_ms", "intent_accuracy", "server_cpu_s",
            "server_rss_mb")
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(_cell(row.get(c)) for c in cols) + " |")
    print()
    for label in dict.fromkeys(r["setting"] for r in rows):
        good = [r["concurrency"] for r in rows if r["setting"] == label and meets_bar(r)]
        print(f"- {label}: highest level with p95 ≤ {BAR_P95_S} s and no failure: "
              f"{max(good) if good else 'none'}")


def _cell(value: object) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    sys.exit(main())
