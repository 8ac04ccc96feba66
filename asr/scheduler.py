"""The decode pool every call shares, taking work by urgency rather than by arrival.

With many calls on few cores the recognizer is the queue everybody waits in. A plain thread
pool serves it first come first served, so a caller whose question just ended waits behind
other calls' speculative decodes (started on a short pause that may not be the end) and behind
long utterances. This pool orders its backlog by priority: streamed audio first (an engine
that decodes as audio arrives must keep up, or every later result is late), then the final
decode of an utterance at its endpoint, shortest first (a short answer is not held up by a
long one: the mean wait is lowest that way), and speculative decodes last. Within a level,
first come first served. Jobs already running are never interrupted.

It is a `concurrent.futures.Executor`, so `loop.run_in_executor` and plain `submit` work
(at the final-decode level); `submit_at` names the level and the size.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

STREAM = 0  # audio fed to a streaming engine as it arrives
FINAL = 1  # an utterance at its endpoint: a caller is waiting for the reply
SPECULATIVE = 2  # a decode started on a pause that may not be the end


class PriorityPool(Executor):
    # told (level, seconds waited) as each job starts: in a burst of callers the wait for a
    # decode thread, not the decode, is the delay (ivr_asr_queue_wait_seconds in /metrics)
    on_start: Callable[[int, float], None] | None = None

    def __init__(self, max_workers: int = 2, thread_name_prefix: str = "asr") -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self._heap: list[tuple[int, float, int, Future[Any], Callable[[], Any]]] = []
        self._queued_at: dict[int, float] = {}  # job sequence number -> monotonic time
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._shutdown = False
        self._threads = [threading.Thread(target=self._work, daemon=True,
                                          name=f"{thread_name_prefix}_{i}")
                         for i in range(max_workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self.submit_at(FINAL, 0.0, fn, *args, **kwargs)

    def submit_at(self, level: int, size: float, fn: Callable[..., T], /, *args: Any,
                  **kwargs: Any) -> Future[T]:
        """Queue `fn(*args, **kwargs)` at `level` (STREAM, FINAL, SPECULATIVE); within a level
        a smaller `size` (e.g. seconds of audio) goes first."""
        future: Future[T] = Future()
        with self._cond:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            seq = next(self._seq)
            self._queued_at[seq] = time.monotonic()
            heapq.heappush(self._heap, (level, size, seq, future, lambda: fn(*args, **kwargs)))
            self._cond.notify()
        return future

    def promote(self, future: Future[Any], level: int) -> bool:
        """Move a queued job up to `level` (a speculative decode that turned out to be the
        final); False if it is no longer waiting."""
        with self._cond:
            for i, entry in enumerate(self._heap):
                if entry[3] is future:
                    if entry[0] > level:
                        self._heap[i] = (level, *entry[1:])
                        heapq.heapify(self._heap)
                    return True
        return False

    def qsize(self) -> int:
        """Jobs waiting for a thread (the decode queue depth in /metrics)."""
        with self._cond:
            return len(self._heap)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._cond:
            self._shutdown = True
            if cancel_futures:
                for *_, future, _job in self._heap:
                    future.cancel()
                self._heap.clear()
                self._queued_at.clear()
            self._cond.notify_all()
        if wait:
            for thread in self._threads:
                thread.join()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._heap and not self._shutdown:
                    self._cond.wait()
                if not self._heap:
                    return  # shut down and drained
                level, _size, seq, future, job = heapq.heappop(self._heap)
                waited = time.monotonic() - self._queued_at.pop(seq, time.monotonic())
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while it waited
            self._report_start(level, waited)
            try:
                result = job()
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

    def _report_start(self, level: int, waited_s: float) -> None:
        """Tell `on_start`; a failing observer must not lose the job."""
        if self.on_start is not None:
            try:
                self.on_start(level, waited_s)
            except Exception:  # metrics never stop a decode
                log.exception("decode pool: on_start observer failed")


def promote(executor: Executor, future: Future[Any], level: int) -> None:
    """`executor.promote` where the executor has levels (else nothing to do)."""
    if isinstance(executor, PriorityPool):
        executor.promote(future, level)


def submit_at(executor: Executor, level: int, size: float, fn: Callable[..., T],
              *args: Any) -> Future[T]:
    """`executor.submit_at` where the executor has levels, else a plain `submit`."""
    if isinstance(executor, PriorityPool):
        return executor.submit_at(level, size, fn, *args)
    return executor.submit(fn, *args)
