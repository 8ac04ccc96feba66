"""DecodePool: the shared ASR pool that says whether a job would start at once."""

from __future__ import annotations

import threading

import pytest

from asr.decode_pool import DecodePool


def test_counts_running_and_queued_jobs_until_they_finish() -> None:
    gate = threading.Event()
    with DecodePool(2) as pool:
        assert pool.has_idle_worker() and pool.pending == 0
        first = pool.submit(gate.wait, 10)
        assert pool.pending == 1 and pool.has_idle_worker()
        second = pool.submit(gate.wait, 10)
        queued = pool.submit(int, "7")
        assert pool.pending == 3 and not pool.has_idle_worker()
        assert queued.cancel()  # a cancelled job no longer counts
        assert pool.pending == 2
        gate.set()
        assert first.result(5) and second.result(5)
    assert pool.pending == 0


def test_a_failing_job_is_counted_as_done() -> None:
    with DecodePool(1) as pool:
        with pytest.raises(ZeroDivisionError):
            pool.submit(lambda: 1 / 0).result(5)
    assert pool.pending == 0 and pool.has_idle_worker()


def test_submit_after_shutdown_raises_and_leaves_the_count() -> None:
    pool = DecodePool(1)
    pool.shutdown()
    with pytest.raises(RuntimeError):
        pool.submit(int)
    assert pool.pending == 0


def test_size_is_at_least_one() -> None:
    with DecodePool(0) as pool:
        assert pool.size == 1
