"""Call-record writes the database refused while it was unavailable, kept to write later.

A database that goes away for a while (PostgreSQL restarted or unreachable, a SQLite file
that cannot be written) must neither stop a call nor lose its record. `AsyncCallStore` puts
each write that fails with a connection-level error here, and every later write behind it,
so the record's order is kept, and writes them, oldest first, once the database answers
again. The backlog is bounded (`limit` writes): past it new writes are dropped and counted,
so an outage that never ends cannot take the server's memory with it.

A turn written during an outage has no row index yet: it gets a provisional one (a negative
"ticket") that later rewrites of the turn use; once the turn is written the ticket maps to
its real index. Pure bookkeeping under a lock (the store's worker thread and the event loop
both touch it); the writing itself is the store's. No I/O.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

DEFAULT_LIMIT = 10_000
MAX_TICKETS = 50_000  # ticket → index entries kept for late rewrites of buffered turns


def is_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or written (worth retrying), as opposed to a bad
    write (a bug: retrying it would fail for ever)."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


@dataclass(frozen=True)
class PendingWrite:
    """One `CallStore` write: the method's name and its arguments."""

    op: str
    call_sid: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    ticket: int | None = None  # add_turn: the provisional index handed out for it


@dataclass
class BacklogCounts:
    buffered: int = 0  # writes that had to wait for the database
    written_late: int = 0  # ... and were written once it came back
    dropped: int = 0  # ... and were lost (the backlog was full, or their call id was taken)
    outages: int = 0  # times the database went away (the backlog went from empty to not)


class WriteBacklog:
    """Writes waiting for the database, oldest first, at most `limit`."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self.counts = BacklogCounts()
        self.lock = threading.Lock()
        self._writes: deque[PendingWrite] = deque()
        self._next_ticket = -1
        self._tickets: OrderedDict[int, int] = OrderedDict()  # ticket → real index
        self._refused: set[str] = set()  # calls whose late start found their id taken

    def __len__(self) -> int:
        return len(self._writes)

    def add(self, write: PendingWrite) -> PendingWrite:
        """Queue `write`; returns it with its ticket if it adds a turn. When the backlog is
        full it is dropped and counted instead (its ticket never maps to a row, so the
        turn's later rewrites are dropped too). Caller holds `lock`."""
        if write.op == "add_turn" and write.ticket is None:
            write = replace(write, ticket=self.new_ticket())
        if self.limit and len(self._writes) >= self.limit:
            self.counts.dropped += 1
            return write
        if write.op == "replace_turn" and self._merge_turn(write):
            return write
        if not self._writes:
            self.counts.outages += 1
        self._writes.append(write)
        self.counts.buffered += 1
        return write

    def new_ticket(self) -> int:
        """A provisional index for a turn not yet written. Caller holds `lock`."""
        ticket, self._next_ticket = self._next_ticket, self._next_ticket - 1
        return ticket

    def note_index(self, ticket: int, idx: int) -> None:
        """The turn of `ticket` was written as row `idx`. Caller holds `lock`."""
        self._tickets[ticket] = idx
        while len(self._tickets) > MAX_TICKETS:
            self._tickets.popitem(last=False)

    def refuse(self, call_sid: str) -> None:
        """A start taken on trust was refused by the database (its id is another call's):
        the call's further writes are dropped. Caller holds `lock`."""
        self._refused.add(call_sid)

    def _merge_turn(self, write: PendingWrite) -> bool:
        """A rewrite of a turn still waiting to be added replaces what that add writes."""
        ticket = write.args[0]
        for i, waiting in enumerate(self._writes):
            if waiting.ticket == ticket and waiting.call_sid == write.call_sid:
                self._writes[i] = replace(waiting, args=(write.args[1],))
                return True
        return False

    def first(self) -> PendingWrite | None:
        return self._writes[0] if self._writes else None

    def written(self, write: PendingWrite, result: Any) -> None:
        """`write`, the first, is in the database (`result`: what the store returned)."""
        self._writes.popleft()
        self.counts.written_late += 1
        if write.ticket is not None:
            self.note_index(write.ticket, int(result))
        if write.op == "start_call" and result is False:
            self.refuse(write.call_sid)

    def discard(self) -> PendingWrite:
        """Give up on the first write (counted as dropped)."""
        self.counts.dropped += 1
        return self._writes.popleft()

    def refused(self, call_sid: str) -> bool:
        """The call's start, written late, found its id already taken: the rest of its
        writes would land in another caller's record, so they are dropped."""
        return call_sid in self._refused

    def index_of(self, idx: int) -> int | None:
        """The real row index of a turn (a ticket's, once written); None while unknown."""
        return idx if idx >= 0 else self._tickets.get(idx)

    def transfer_for(self, call_sid: str) -> dict[str, Any] | None:
        """Where a call waiting here was transferred (the platform asks before the
        database is back), or None."""
        transfer: dict[str, Any] | None = None
        for write in self._writes:
            if write.call_sid == call_sid and write.op == "set_transfer":
                department, queue, reason = write.args
                transfer = {"department": department, "queue": queue, "reason": reason,
                            "target": None}
            elif write.call_sid == call_sid and write.op == "set_queue" and transfer:
                transfer["target"] = write.kwargs.get("transfer_target") or transfer["target"]
        return transfer

    def snapshot(self) -> dict[str, int]:
        """For /healthz and /metrics."""
        c = self.counts
        return {"backlog": len(self._writes), "backlog_limit": self.limit,
                "buffered": c.buffered, "written_late": c.written_late, "dropped": c.dropped,
                "outages": c.outages}
