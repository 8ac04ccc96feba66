"""The decode pool's order (asr.scheduler): with its one thread held, queued work runs
streamed audio first, then finals shortest first, then speculative decodes; a promoted
speculation runs as a final; cancelled jobs never run; errors reach the caller; shutdown
drains or cancels."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError

import pytest

from asr.scheduler import FINAL, SPECULATIVE, STREAM, PriorityPool, promote, submit_at


def held_pool() -> tuple[PriorityPool, threading.Event, list[str]]:
    """A one-thread pool busy until the returned event is set; jobs append to the list."""
    pool, gate, ran = PriorityPool(1), threading.Event(), []
    started = threading.Event()

    def hold() -> None:
        started.set()
        gate.wait(10)

    pool.submit(hold)
    assert started.wait(10)
    return pool, gate, ran


def test_urgent_work_overtakes_queued_guesses_and_short_finals_go_first() -> None:
    pool, gate, ran = held_pool()
    jobs = [(SPECULATIVE, 1.0, "spec"), (FINAL, 6.0, "long final"), (FINAL, 1.5, "short final"),
            (STREAM, 0.0, "audio"), (SPECULATIVE, 0.5, "spec2")]
    futures = [pool.submit_at(level, size, ran.append, name) for level, size, name in jobs]
    assert pool.qsize() == 5
    gate.set()
    for f in futures:
        f.result(10)
    assert ran == ["audio", "short final", "long final", "spec2", "spec"]
    pool.shutdown()


def test_a_promoted_speculation_runs_as_a_final_and_a_cancelled_job_never_runs() -> None:
    pool, gate, ran = held_pool()
    spec = pool.submit_at(SPECULATIVE, 1.0, ran.append, "speculation")
    pool.submit_at(FINAL, 3.0, ran.append, "other final")
    dropped = pool.submit_at(SPECULATIVE, 0.1, ran.append, "dropped")
    assert dropped.cancel()
    promote(pool, spec, FINAL)
    gate.set()
    spec.result(10)
    pool.shutdown()
    assert ran == ["speculation", "other final"]
    with pytest.raises(CancelledError):
        dropped.result()
    assert not pool.promote(spec, FINAL)  # done: nothing waiting to move


def test_errors_reach_the_caller_and_shutdown_cancels_what_waits() -> None:
    pool, gate, ran = held_pool()

    def boom() -> None:
        raise ValueError("engine crashed")

    failing = submit_at(pool, FINAL, 1.0, boom)
    waiting = pool.submit_at(SPECULATIVE, 1.0, ran.append, "never")
    gate.set()
    with pytest.raises(ValueError, match="engine crashed"):
        failing.result(10)
    pool.shutdown(cancel_futures=True)
    assert waiting.cancelled() or ran == ["never"]
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(ran.append, "late")
    with pytest.raises(ValueError):
        PriorityPool(0)


def test_each_job_reports_how_long_it_waited_and_a_failing_observer_loses_nothing() -> None:
    """`on_start` (ivr_asr_queue_wait_seconds in /metrics) hears (level, seconds waited)."""
    pool, gate, ran = held_pool()
    starts: list[tuple[int, float]] = []
    pool.on_start = lambda level, waited: starts.append((level, waited))
    first = pool.submit_at(SPECULATIVE, 1.0, ran.append, "guess")
    second = pool.submit_at(FINAL, 1.0, ran.append, "final")
    threading.Event().wait(0.05)
    gate.set()
    first.result(10), second.result(10)
    assert [level for level, _ in starts] == [FINAL, SPECULATIVE]
    assert all(0.04 <= waited < 10 for _, waited in starts)

    def broken(level: int, waited: float) -> None:
        raise RuntimeError("observer down")

    pool.on_start = broken
    assert pool.submit(lambda: "still decoded").result(10) == "still decoded"
    pool.shutdown()
