"""The clock a call reads: monotonic time, wall time and timers, passed in, never global.

A call is timed in three places: playback pacing (send audio no faster than it plays), the
dialog's timers (re-prompt after silence) and watchdogs (a mark that never comes back). With
the clock injected, a whole call runs in-process in a fraction of a second under a fake clock
the test advances, and production uses `SystemClock`. Every timer callback runs on the event
loop that created it, whichever thread advances a fake clock. No I/O.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol


class TimerHandle(Protocol):
    """What `call_later` returns: something that can be cancelled (asyncio's handle is one)."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """Time as one call sees it."""

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (intervals, deadlines)."""

    def time(self) -> float:
        """Seconds since the epoch (timestamps in call records)."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run `callback` on the current event loop after `delay` seconds (waits are built
        on it: `wait_until`)."""


class SystemClock:
    """The real clock: `time.monotonic`, `time.time` and the running event loop's timers."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        return asyncio.get_running_loop().call_later(max(0.0, delay), callback)


SYSTEM_CLOCK = SystemClock()


async def _set(condition: asyncio.Event) -> None:
    await condition.wait()


async def wait_until(clock: Clock, condition: asyncio.Event, timeout_s: float) -> bool:
    """Wait for `condition` or `timeout_s` on `clock`, whichever comes first; True if set."""
    if condition.is_set():
        return True
    timed_out: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def expire() -> None:
        if not timed_out.done():
            timed_out.set_result(None)

    handle = clock.call_later(timeout_s, expire)
    waiter: asyncio.Future[None] = asyncio.ensure_future(_set(condition))
    try:
        await asyncio.wait({waiter, timed_out}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        handle.cancel()
        waiter.cancel()
        timed_out.cancel()
    return condition.is_set()


async def finished_within(clock: Clock, future: asyncio.Future[Any], timeout_s: float) -> bool:
    """Wait for `future` or `timeout_s` on `clock`, whichever comes first; True if it is
    done. The future is left running either way (a thread cannot be interrupted)."""
    if future.done():
        return True
    done = asyncio.Event()
    future.add_done_callback(lambda _: done.set())
    return await wait_until(clock, done, timeout_s)
