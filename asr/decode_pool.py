"""The thread pool every call's decoding shares, with a count of the work it holds.

A speculative decode (see `asr.stream`) only pays off when a worker would otherwise sit idle:
queued behind other calls' decodes it would delay their finals and seldom finish before its
own endpoint. `ThreadPoolExecutor` does not say how busy it is, so this pool counts the jobs
submitted and not yet done, and streams ask `has_idle_worker()` before speculating.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class DecodePool(ThreadPoolExecutor):
    """A bounded `ThreadPoolExecutor` that knows whether one of its workers is free."""

    def __init__(self, max_workers: int = 2, thread_name_prefix: str = "asr") -> None:
        self.size = max(1, max_workers)
        super().__init__(max_workers=self.size, thread_name_prefix=thread_name_prefix)
        self._lock = threading.Lock()
        self._pending = 0  # submitted and not yet done (running or queued)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._lock:
            self._pending += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished()
            raise
        future.add_done_callback(lambda _: self._finished())
        return future

    def _finished(self) -> None:
        with self._lock:
            self._pending -= 1

    @property
    def pending(self) -> int:
        """Jobs submitted and not yet finished or cancelled."""
        with self._lock:
            return self._pending

    def has_idle_worker(self) -> bool:
        """True when a job submitted now would start at once rather than wait in the queue."""
        return self.pending < self.size
