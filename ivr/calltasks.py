"""The work one call owns: its tasks in one `asyncio.TaskGroup`, its named timers on its clock.

A call runs several things at once (playback, the recognition consumer, timer and hand-over
work). Keeping them in one task group means none outlives the call, and `close()` can stop
them in the order the session chooses. A failing task is logged and the call goes on: one
bad prompt or a failed record write must not cancel the rest of a caller's call, which a
bare TaskGroup would do. No I/O.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from ivr.clock import Clock, TimerHandle
from ivr.logformat import set_call_id

log = logging.getLogger(__name__)
Work = Coroutine[Any, Any, None]


class CallTasks:
    """Spawns a call's tasks into the task group `run` holds open; `cancel` stops them all."""

    def __init__(self, label: Callable[[], str | None]) -> None:
        self._label = label  # the call id, for log lines (known only after `start`)
        self._group: asyncio.TaskGroup | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def bind(self, group: asyncio.TaskGroup) -> None:
        """Spawn into `group` from now on (the session's `run` opens it)."""
        self._group = group

    def spawn(self, work: Work, what: str) -> asyncio.Task[None] | None:
        """Run `work` as one of the call's tasks; None (and the work dropped) once closed."""
        if self._group is None or self._closed:
            work.close()
            return None
        task = self._group.create_task(self._guarded(work, what), name=f"{what} {self._label()}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cancel(self) -> None:
        """Refuse new work and cancel every task but the one calling (the task group then
        waits for them as it closes)."""
        self._closed = True
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()

    async def _guarded(self, work: Work, what: str) -> None:
        set_call_id(self._label())  # tasks spawned from a timer's callback: its log lines too
        try:
            await work
        except Exception:  # a failed task must not cancel the rest of the call's group
            log.exception("call %s: %s failed", self._label(), what)


class CallTimers:
    """Named one-shot timers on the call's clock; starting a name again restarts it."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._handles: dict[str, TimerHandle] = {}

    def start(self, name: str, seconds: float, fire: Callable[[str], None]) -> None:
        self.cancel(name)
        self._handles[name] = self._clock.call_later(seconds, lambda: self._fired(name, fire))

    def cancel(self, name: str) -> None:
        handle = self._handles.pop(name, None)
        if handle:
            handle.cancel()

    def cancel_all(self) -> None:
        for name in list(self._handles):
            self.cancel(name)

    def _fired(self, name: str, fire: Callable[[str], None]) -> None:
        if self._handles.pop(name, None) is not None:
            fire(name)
