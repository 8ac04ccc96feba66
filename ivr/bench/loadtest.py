"""`ivr loadtest`: many simultaneous scripted callers against a server on this machine.

Each caller is a real-time replay (`ivr.replay.ReplayClient`): it waits for the greeting, says
each recorded turn of the script, waits for the reply, presses keys, then hangs up. Per
concurrency level the report gives reply latency (end of the caller's audio to the first reply
audio) p50/p95/p99, the largest gap inside the bot's audio, calls failed and turns unanswered,
intent accuracy against the script (from the call records, with an API key), and the server's
CPU time and memory from `/metrics`. Bounded: loopback addresses only, at most `MAX_CALLS`
calls and `MAX_CONCURRENCY` at once, and a deadline after which calls still running are
cancelled and counted as failed.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from ivr.config import REPO_ROOT
from ivr.replay import ReplayClient, ReplayReport, attach_record, fetch_record, load_clip

MAX_CALLS = 1000
SETTLE_S = 2.0
MAX_CONCURRENCY = 200
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
HOTLINE = REPO_ROOT / "audio_fixtures" / "hotline"
DEFAULT_SCRIPT: tuple[dict[str, str], ...] = (
    {"say": str(HOTLINE / "A10_tel8k.wav"), "expect": "medical_reimburse"},
    {"say": str(HOTLINE / "A34_tel8k.wav"), "expect": "office_hours"},
)


@dataclass(frozen=True)
class Step:
    say: Path | None = None
    expect: str | None = None
    press: str = ""
    barge_after_s: float | None = None  # say this `barge_after_s` into the previous reply
    # the last step only: hang up this long after the step before (or after connecting,
    # without waiting for the greeting to end): a caller who gives up, and a short call for
    # a soak of many calls one after another
    hang_up_after_s: float | None = None
    # what other callers say at this step: caller n says variants[n % len] (file, intent),
    # so callers of one level ask different questions of different lengths
    variants: tuple[tuple[Path, str | None], ...] = ()

    def for_caller(self, n: int) -> Step:
        """This step as caller `n` takes it."""
        if not self.variants:
            return self
        say, expect = self.variants[n % len(self.variants)]
        return replace(self, say=say, expect=expect, variants=())

    def clips(self) -> list[Path]:
        """Every recording this step may play."""
        return [v[0] for v in self.variants] or ([self.say] if self.say else [])


@dataclass
class CallResult:
    latencies_s: list[float] = field(default_factory=list)
    barge_ins_s: list[float] = field(default_factory=list)
    barge_missed: int = 0
    unanswered: int = 0
    expected: int = 0
    correct: int = 0
    max_gap_s: float = 0.0
    gap_counts: list[int] = field(default_factory=list)  # per whole ms (ivr.replay)
    failed: str | None = None


@dataclass
class LevelReport:
    concurrency: int
    calls: int
    failed: int
    unanswered_turns: int
    p50_s: float | None
    p95_s: float | None
    p99_s: float | None
    max_frame_gap_ms: float | None
    intent_accuracy: float | None
    server_cpu_s: float | None
    server_rss_mb: float | None
    wall_s: float
    errors: list[str] = field(default_factory=list)
    barge_in_p50_ms: float | None = None  # caller's speech onset → `clear`
    barge_in_max_ms: float | None = None
    barge_ins_missed: int = 0  # barge-ins the bot did not stop for
    # before → after the level, read once the calls have ended: a leak grows them
    server_before: ServerProcess | None = None
    server_after: ServerProcess | None = None
    # 99 % of the waits between two bot audio messages inside a prompt were at most this
    # (whole ms): one stall of the machine sets the largest, not the usual pacing
    p99_frame_gap_ms: int | None = None
    # the server's own count of silences its callers heard mid-utterance during the level
    # (the queued lead ran out), and their total seconds: a late message within the lead is
    # a gap the client sees but no caller hears
    underruns: int | None = None
    underrun_s: float | None = None
    # the load client's own CPU seconds during the level: on a machine it shares with the
    # server, what the callers' side took from the cores the server needed
    client_cpu_s: float | None = None


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise ValueError(f"{url}: the load test only calls a server on this machine "
                         f"({', '.join(sorted(LOOPBACK))})")


def read_script(path: Path | None) -> list[Step]:
    """A JSON list of steps: {"say": "file.wav", "expect": "intent"}, {"press": "0"} and,
    last, {"hang_up_after_s": 1.0}; relative paths are read from the script's folder.
    "say" may be a list of files, "expect" then a list of as many intents (or one for all):
    caller n says the (n mod length)-th."""
    raw: Sequence[dict[str, Any]] = DEFAULT_SCRIPT
    base = REPO_ROOT
    if path is not None:
        raw = json.loads(path.read_text(encoding="utf-8"))
        base = path.parent
        if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
            raise ValueError(f"{path}: expected a JSON list of steps")
    steps = []
    for n, s in enumerate(raw, start=1):
        variants = _variants(s, n, base)
        say = variants[0][0] if variants else None
        press = str(s.get("press", ""))
        hang_up = _hang_up(s, n, len(raw), say is not None or bool(press))
        if say is None and not press and hang_up is None:
            raise ValueError(f"step {n}: needs \"say\", \"press\" or \"hang_up_after_s\"")
        barge = s.get("barge_after_s")
        if barge is not None and (say is None or n == 1 or not 0 <= float(barge) <= 30):
            raise ValueError(f"step {n}: \"barge_after_s\" (0 to 30) needs \"say\" and a "
                             "step before it whose reply it interrupts")
        steps.append(Step(say, variants[0][1] if variants else s.get("expect"), press,
                          None if barge is None else float(barge), hang_up,
                          tuple(variants) if len(variants) > 1 else ()))
    return steps


def _variants(step: dict[str, Any], n: int, base: Path) -> list[tuple[Path, str | None]]:
    """A step's (file, intent) pairs: one for "say": "a.wav", several for a list."""
    say = step.get("say")
    if not say:
        return []
    files = say if isinstance(say, list) else [say]
    expect = step.get("expect")
    expects = expect if isinstance(expect, list) else [expect] * len(files)
    if not files or len(expects) != len(files) or not all(
            isinstance(f, str) and f for f in files):
        raise ValueError(f"step {n}: \"say\" is a file or a list of files, and a list "
                         "\"expect\" names one intent per file")
    pairs = []
    for file, intent in zip(files, expects, strict=True):
        path = base / file  # an absolute file stays as it is
        if not path.is_file():
            raise ValueError(f"step {n}: no such audio file {path}")
        pairs.append((path, None if intent is None else str(intent)))
    return pairs


def _hang_up(step: dict[str, Any], n: int, count: int, acts: bool) -> float | None:
    """The step's `hang_up_after_s`, checked: a step of its own, the script's last."""
    raw = step.get("hang_up_after_s")
    if raw is None:
        return None
    if acts or n != count or not isinstance(raw, int | float) or not 0 <= raw <= 300:
        raise ValueError(f"step {n}: \"hang_up_after_s\" (0 to 300 s) is a step of its "
                         "own and the script's last")
    return float(raw)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile by nearest rank (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def counted_percentile(counts: Sequence[int], q: float) -> int | None:
    """The q-th percentile by nearest rank of values given as counts per value (counts[v] is
    how often v occurred); None for none. The gap histogram's percentile, in whole ms, where
    a value stands for [v, v + 1) ms: reported as its upper end, v + 1."""
    total = sum(counts)
    if not total:
        return None
    rank, seen = max(1, math.ceil(q / 100 * total)), 0
    for value, count in enumerate(counts):
        seen += count
        if seen >= rank:
            return value + 1
    return len(counts)


@dataclass(frozen=True)
class ServerProcess:
    """The server's resources from its /metrics: what grows in a leak."""

    cpu_s: float
    rss_mb: float
    open_fds: float | None = None
    threads: float | None = None
    tasks: float | None = None
    underruns: float | None = None  # silences heard mid-utterance so far, and their seconds
    underrun_s: float | None = None


PROCESS_METRICS = ("process_cpu_seconds_total", "process_resident_memory_bytes",
                   "process_open_fds", "ivr_threads", "ivr_asyncio_tasks",
                   "ivr_playback_underrun_seconds_count", "ivr_playback_underrun_seconds_sum")


def server_process(http: str) -> ServerProcess | None:
    """The server's CPU seconds, resident MB, open files, threads and tasks; None if its
    /metrics cannot be read."""
    try:
        with urllib.request.urlopen(http + "/metrics", timeout=5) as resp:
            text = resp.read().decode()
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in PROCESS_METRICS:
            values[name] = float(value)
    if "process_cpu_seconds_total" not in values or "process_resident_memory_bytes" not in values:
        return None
    return ServerProcess(values["process_cpu_seconds_total"],
                         values["process_resident_memory_bytes"] / 2**20,
                         values.get("process_open_fds"), values.get("ivr_threads"),
                         values.get("ivr_asyncio_tasks"),
                         values.get("ivr_playback_underrun_seconds_count"),
                         values.get("ivr_playback_underrun_seconds_sum"))


async def one_call(url: str, protocol: str, steps: list[Step], clips: dict[Path, np.ndarray],
                   api_key: str, n: int) -> CallResult:
    result = CallResult()
    steps = [step.for_caller(n) for step in steps]
    client = ReplayClient(url, protocol, from_number=f"+86139{n:08d}", turn_timeout_s=30,
                          keep_audio=False)
    turns = []
    async with client.connected():
        if not steps or steps[0].hang_up_after_s is None:
            await client.wait_quiet()
        for i, step in enumerate(steps):
            if client.closed:
                break
            if step.hang_up_after_s is not None:
                await asyncio.sleep(step.hang_up_after_s)
                break
            interrupted = i + 1 < len(steps) and steps[i + 1].barge_after_s is not None
            if step.say is not None and step.barge_after_s is not None:
                turn = await client.barge_in(step.say, clips[step.say], step.barge_after_s)
                turns.append((step, turn))
                if turn.barge_in_ms is None:
                    result.barge_missed += 1
                else:
                    result.barge_ins_s.append(turn.barge_in_ms / 1000)
            elif step.say is not None:
                turns.append((step, await client.turn(step.say, clips[step.say],
                                                      whole_reply=not interrupted)))
            for key in step.press:
                pressed = time.monotonic()
                await client.press(key)
                await client.wait_quiet(since=pressed)
    result.max_gap_s = client.platform.max_gap_s
    result.gap_counts = client.platform.gap_counts
    for _, t in turns:
        if t.latency_ms is None:
            result.unanswered += 1
        else:
            result.latencies_s.append(t.latency_ms / 1000)
    if api_key and any(s.expect for s, _ in turns):
        record = await asyncio.to_thread(fetch_record, client.url, client.call_sid, 5.0,
                                         api_key)
        report = ReplayReport(client.call_sid, [t for _, t in turns])
        attach_record(report, record)
        for (step, _), t in zip(turns, report.turns, strict=True):
            if step.expect:
                result.expected += 1
                result.correct += int(t.intent == step.expect)
    return result


async def run_level(url: str, protocol: str, steps: list[Step], calls: int, concurrency: int,
                    api_key: str, deadline_s: float,
                    progress: Callable[[int, int, int], None] | None = None,
                    stagger_s: float = 0.0) -> LevelReport:
    """`calls` calls, at most `concurrency` at once, all cancelled after `deadline_s`.

    With `stagger_s` the first `concurrency` calls start spread evenly over that many
    seconds, as callers arrive on a real line, instead of all at once (every caller then
    speaks the same words at the same moment: the recognizer's worst case)."""
    clips = {path: load_clip(path, 8000) for s in steps for path in s.clips()}
    http = url.replace("ws://", "http://").rstrip("/")
    before = await asyncio.to_thread(server_process, http)
    gate = asyncio.Semaphore(concurrency)
    done = failed = 0
    results: list[CallResult] = []
    errors: list[str] = []

    async def guarded(n: int) -> None:
        nonlocal done, failed
        if n < concurrency and stagger_s > 0:
            await asyncio.sleep(stagger_s * n / concurrency)
        async with gate:
            try:
                results.append(await one_call(url, protocol, steps, clips, api_key, n))
            except Exception as exc:  # a refused or broken call is a result, not a crash
                failed += 1
                errors.append(f"call {n}: {type(exc).__name__}: {exc}"[:200])
            done += 1
            if progress:
                progress(done, failed, calls)

    t0, cpu0 = time.monotonic(), time.process_time()
    tasks = [asyncio.create_task(guarded(n)) for n in range(calls)]
    _, pending = await asyncio.wait(tasks, timeout=deadline_s)
    for task in pending:
        task.cancel()
    failed += len(pending)
    if pending:
        errors.append(f"{len(pending)} calls still running after {deadline_s:.0f} s: cancelled")
    wall, client_cpu = time.monotonic() - t0, time.process_time() - cpu0
    await asyncio.sleep(SETTLE_S)  # the server tears the last calls down
    after = await asyncio.to_thread(server_process, http)
    latencies = [x for r in results for x in r.latencies_s]
    barges = [x for r in results for x in r.barge_ins_s]
    expected = sum(r.expected for r in results)
    gaps = [r.max_gap_s for r in results if r.max_gap_s]
    gap_counts = [sum(counts) for counts in zip(*(r.gap_counts for r in results
                                                   if r.gap_counts), strict=True)]
    return LevelReport(
        concurrency, calls, failed, sum(r.unanswered for r in results),
        percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99),
        round(max(gaps) * 1000, 1) if gaps else None,
        sum(r.correct for r in results) / expected if expected else None,
        round(after.cpu_s - before.cpu_s, 2) if before and after else None,
        round(after.rss_mb, 1) if after else None, round(wall, 1), errors[:5],
        _ms(percentile(barges, 50)), _ms(max(barges, default=None)),
        sum(r.barge_missed for r in results), before, after,
        counted_percentile(gap_counts, 99), *_underruns(before, after),
        round(client_cpu, 2))


def _underruns(before: ServerProcess | None, after: ServerProcess | None
               ) -> tuple[int | None, float | None]:
    if (before is None or after is None or before.underruns is None
            or after.underruns is None or before.underrun_s is None or after.underrun_s is None):
        return None, None
    return round(after.underruns - before.underruns), round(after.underrun_s - before.underrun_s, 3)
