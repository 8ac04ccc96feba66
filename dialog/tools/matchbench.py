"""`ivr kb bench`: what the matcher costs — building it (the classifier's training, which runs
at every knowledge-base load and reload) and matching one utterance — with and without the
learned classifier, as a table. Measured, not asserted: a timed unit test would fail on a
busy machine and pass on a fast one for the wrong reasons. Issue 10's bound: matching under
5 ms p99 for the whole knowledge base. Pure except the clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from dialog import classifier
from dialog.intents import KnowledgeBase
from dialog.matcher import Matcher

DEFAULT_FILES = ("tests/data/blind/dev.jsonl", "tests/data/kb_eval.tsv",
                 "tests/data/setA_streamed.tsv")


@dataclass(frozen=True)
class BenchRow:
    variant: str
    build_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


def bench(kb: KnowledgeBase, texts: list[str], repeats: int = 5) -> list[BenchRow]:
    """One row per variant: the matcher without the classifier, and with it (trained from
    scratch: the in-process training cache is cleared first)."""
    rows = []
    for variant, learned in (("fuzzy + keywords + BM25", False), ("+ classifier", True)):
        classifier.clear_cache()
        start = time.perf_counter()
        matcher = Matcher(kb, learned=learned)
        build = time.perf_counter() - start
        for text in texts:  # warm-up: pinyin and normalisation caches
            matcher.match(text)
        times = []
        for _ in range(max(repeats, 1)):
            for text in texts:
                t0 = time.perf_counter()
                matcher.match(text)
                times.append((time.perf_counter() - t0) * 1000.0)
        t = np.asarray(times)
        p50, p90, p99 = (float(np.percentile(t, q)) for q in (50, 90, 99))
        rows.append(BenchRow(variant, build, p50, p90, p99, float(t.max())))
    return rows


def format_bench(rows: list[BenchRow], lines: int) -> str:
    out = [f"matcher cost over {lines} utterances", "",
           "| matcher | build (s) | p50 ms | p90 ms | p99 ms | max ms |",
           "|---|---|---|---|---|---|"]
    out += [f"| {r.variant} | {r.build_s:.2f} | {r.p50_ms:.2f} | {r.p90_ms:.2f} "
            f"| {r.p99_ms:.2f} | {r.max_ms:.2f} |" for r in rows]
    return "\n".join(out) + "\n"
