"""`AsyncCallStore`: the call session's face of `ivr.store.CallStore`.

Every operation runs on one dedicated worker thread, which keeps writes in submission order
and the event loop free; writes that fail because the database is away wait in a bounded
backlog (`ivr.store_backlog`) and are written when it is back, so a call never waits on, nor
loses a record to, a database outage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from ivr.clock import SYSTEM_CLOCK, Clock, TimerHandle
from ivr.store import (
    DEFAULT_RETRY_S,
    DEFAULT_WRITE_WAIT_S,
    OUTCOMES,
    CallStore,
    TurnRecord,
)
from ivr.store_backlog import DEFAULT_LIMIT, PendingWrite, WriteBacklog, is_unavailable

log = logging.getLogger(__name__)


T = TypeVar("T")


class AsyncCallStore:
    """asyncio face of `CallStore`: each call runs on one worker thread, in submission order.

    Writes survive a database outage: one that fails because the database is unreachable or
    unwritable (`ivr.store_backlog.is_unavailable`) is kept in a bounded `WriteBacklog`, as
    is every write after it while any wait, and they are written in order once a retry
    (every `retry_s` on the clock) gets through. Meanwhile writes return at once with a
    provisional result (a start is taken, a turn gets a ticket for its index), so a call
    goes on as if nothing happened. A write that neither succeeds nor fails within
    `write_wait_s` (a SQLite lock being waited out, a stalled server) is answered the same
    way and left to land, in order, on the worker. Reads go to the database; the platform's
    question where a call was transferred is answered from the backlog first."""

    def __init__(self, store: CallStore | str | Path, *, backlog_limit: int = DEFAULT_LIMIT,
                 retry_s: float = DEFAULT_RETRY_S, clock: Clock = SYSTEM_CLOCK,
                 write_wait_s: float = DEFAULT_WRITE_WAIT_S) -> None:
        self.sync = store if isinstance(store, CallStore) else CallStore(store)
        # One worker: operations execute strictly FIFO, so turn/event order is the call order.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="call-store")
        self.backlog = WriteBacklog(backlog_limit)
        self.retry_s = retry_s
        self.clock = clock
        self._in_flight = 0  # writes handed to the worker and not yet answered (loop only)
        self._retry: TimerHandle | None = None
        self._flushing: asyncio.Future[int] | None = None
        self._closed = False
        self.write_wait_s = write_wait_s
        self._late: set[int] = set()  # writes whose caller stopped waiting (ids)
        self._slow_logged = False

    def use_clock(self, clock: Clock) -> None:
        """Time retries on `clock` (the services' clock: a fake one in tests)."""
        self.clock = clock

    async def _run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    # ---- writes, kept through an outage ----------------------------------------------------

    async def _write(self, op: str, call_sid: str, *args: Any, **kwargs: Any) -> Any:
        with self.backlog.lock:
            ticket = self.backlog.new_ticket() if op == "add_turn" else None
            write = PendingWrite(op, call_sid, args, kwargs, ticket)
            if len(self.backlog) and not self._in_flight:
                result = self._queue(write)  # in an outage: wait behind the others at once
                self._schedule_retry()
                return result
        self._in_flight += 1
        future = asyncio.get_running_loop().run_in_executor(self._executor, self._attempt,
                                                            write)
        future.add_done_callback(lambda done: self._landed(done, write))
        if self.write_wait_s <= 0:
            return await future
        if self._late:  # the worker is stuck on a slow write: this one queues behind it
            self._late.add(id(write))
            return self._provisional(write)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.write_wait_s)
        except TimeoutError:
            # A database that hangs (a SQLite lock waited out, a stalled server) must not
            # hold up the call: the write stays queued on the worker, in order, and the
            # call goes on with the answer an outage would give.
            self._late.add(id(write))
            if not self._slow_logged:
                self._slow_logged = True
                log.warning("call database slow: a %s took over %g s; the call goes on and "
                            "the write lands when it can", op, self.write_wait_s)
            return self._provisional(write)

    def _landed(self, done: asyncio.Future[Any], write: PendingWrite) -> None:
        """A write handed to the worker finished (on the loop)."""
        self._in_flight -= 1
        late = id(write) in self._late
        self._late.discard(id(write))
        if done.cancelled():
            return
        error = done.exception()
        if late and error is not None:  # nobody awaits it any more: say so here
            log.error("call %s: a delayed %s failed: %s", write.call_sid, write.op, error)
        elif late and write.op == "start_call" and done.result() is False:
            log.error("call %s: its start, written late, found the id already used by "
                      "another call; the rest of its record is dropped", write.call_sid)
            with self.backlog.lock:
                self.backlog.refuse(write.call_sid)
        elif not late:
            self._slow_logged = False
        self._schedule_retry()

    def _attempt(self, write: PendingWrite) -> Any:
        """On the worker: write now, or queue behind writes already waiting, or queue when
        the database turns out to be unavailable."""
        with self.backlog.lock:
            if write.op != "start_call" and self.backlog.refused(write.call_sid):
                self.backlog.counts.dropped += 1
                return self._provisional(write)
            if len(self.backlog):
                return self._queue(write)
        try:
            result = self._apply(write)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            with self.backlog.lock:
                if not len(self.backlog):
                    log.error("call database unavailable (%s): call records are kept in "
                              "memory (at most %d writes) and written when it is back",
                              _first_line(exc), self.backlog.limit)
                return self._queue(write)
        if write.ticket is not None:
            with self.backlog.lock:
                self.backlog.note_index(write.ticket, int(result))
        return result

    def _queue(self, write: PendingWrite) -> Any:
        """Queue `write` (lock held); what its caller is told meanwhile."""
        dropped = self.backlog.counts.dropped
        write = self.backlog.add(write)
        if self.backlog.counts.dropped > dropped and dropped == 0:
            log.error("call database backlog full (%d writes): newer call records are lost "
                      "until the database is back", self.backlog.limit)
        return self._provisional(write)

    @staticmethod
    def _provisional(write: PendingWrite) -> Any:
        """What a write not yet in the database answers: a start is taken (its id is checked
        when it is written), a turn gets its ticket, the rest nothing."""
        if write.op == "start_call":
            return True
        return write.ticket

    def _apply(self, write: PendingWrite) -> Any:
        """Do the write on the database (worker thread)."""
        args = write.args
        if write.op == "replace_turn":
            with self.backlog.lock:
                idx = self.backlog.index_of(args[0])
            if idx is None:  # its turn was dropped from a full backlog
                return None
            args = (idx, *args[1:])
        return getattr(self.sync, write.op)(write.call_sid, *args, **write.kwargs)

    def _flush_blocking(self) -> int:
        """Write what waits, oldest first, until done or the database fails again; returns
        how many writes still wait (worker thread)."""
        while True:
            with self.backlog.lock:
                write = self.backlog.first()
                if write is not None and write.op != "start_call" and \
                        self.backlog.refused(write.call_sid):
                    self.backlog.discard()
                    continue
            if write is None:
                return 0
            try:
                result = self._apply(write)
            except Exception as exc:
                if is_unavailable(exc):
                    return len(self.backlog)
                log.exception("call %s: a delayed %s failed; dropped", write.call_sid, write.op)
                with self.backlog.lock:
                    self.backlog.discard()
                continue
            with self.backlog.lock:
                self.backlog.written(write, result)
                if write.op == "start_call" and result is False:
                    log.error("call %s: its start, written late, found the id already used "
                              "by another call; the rest of its record is dropped",
                              write.call_sid)
                if not len(self.backlog):
                    log.warning("call database back: %d delayed writes written",
                                self.backlog.counts.written_late)

    def _schedule_retry(self) -> None:
        if self._retry is None and self._flushing is None and len(self.backlog) \
                and not self._closed:
            self._retry = self.clock.call_later(self.retry_s, self._retry_now)

    def _retry_now(self) -> None:
        self._retry = None
        if not self._closed:
            self._flushing = asyncio.ensure_future(self.flush())

    async def flush(self) -> int:
        """Try to write what waits now; returns how many writes still wait."""
        try:
            return await self._run(self._flush_blocking)
        finally:
            self._flushing = None
            self._schedule_retry()

    async def start_call(self, call_sid: str, *, stream_sid: str, protocol: str,
                         from_number: str, to_number: str, started_at: float,
                         parameters: dict[str, str]) -> bool:
        return bool(await self._write(
            "start_call", call_sid, stream_sid=stream_sid, protocol=protocol,
            from_number=from_number, to_number=to_number, started_at=started_at,
            parameters=parameters))

    async def add_turn(self, call_sid: str, turn: TurnRecord) -> int:
        return int(await self._write("add_turn", call_sid, turn))

    async def replace_turn(self, call_sid: str, idx: int, turn: TurnRecord) -> None:
        await self._write("replace_turn", call_sid, idx, turn)

    async def add_event(self, call_sid: str, kind: str, detail: str, at: float) -> None:
        await self._write("add_event", call_sid, kind, detail, at)

    async def set_transfer(self, call_sid: str, department: str, queue: str, reason: str) -> None:
        await self._write("set_transfer", call_sid, department, queue, reason)

    async def set_queue(self, call_sid: str, **values: Any) -> None:
        await self._write("set_queue", call_sid, **values)

    async def record_outcome(self, call_sid: str, *, outcome: str, ended_at: float,
                             reason: str) -> None:
        if outcome not in OUTCOMES:  # a bug, not an outage: raise now, never queue it
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {sorted(OUTCOMES)}")
        await self._write("record_outcome", call_sid, outcome=outcome, ended_at=ended_at,
                          reason=reason)

    # ---- reads -------------------------------------------------------------------------------

    async def get_call(self, call_sid: str, *, max_events: int | None = None
                       ) -> dict[str, Any] | None:
        return await self._run(self.sync.get_call, call_sid, max_events=max_events)

    async def transfer_for(self, call_sid: str) -> dict[str, Any] | None:
        with self.backlog.lock:
            waiting = self.backlog.transfer_for(call_sid)
        if waiting is not None:
            return waiting
        return await self._run(self.sync.transfer_for, call_sid)

    async def list_calls(self, limit: int = 50) -> list[dict[str, Any]]:
        return await self._run(self.sync.list_calls, limit)

    async def calls_from(self, number: str, *, before: str,
                         limit: int = 5) -> list[dict[str, Any]]:
        """Earlier calls of a caller; none while the database is unavailable (an agent's
        context is worth less than the call itself)."""
        try:
            return await self._run(self.sync.calls_from, number, before=before, limit=limit)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            return []

    async def unresolved_utterances(self) -> list[tuple[str, int]]:
        return await self._run(self.sync.unresolved_utterances)

    async def close(self) -> None:
        # Queued writes finish first (FIFO), then one last try at the backlog, then the
        # connection closes, then the thread stops.
        self._closed = True
        if self._retry is not None:
            self._retry.cancel()
        if len(self.backlog):
            left = await self._run(self._flush_blocking)
            if left:
                log.error("%d call-record writes lost: the database was still unavailable "
                          "when the server stopped", left)
        await self._run(self.sync.close)
        self._executor.shutdown(wait=False)


def _first_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__
