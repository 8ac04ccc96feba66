"""Call records in SQLite: every call, turn and event is committed the moment it happens.

A socket that drops mid-call therefore loses nothing already said. `CallStore` is the
synchronous core (blocking file I/O on a SQLite database); `AsyncCallStore` mirrors it for the
asyncio call session by running every operation on one dedicated worker thread, which keeps
writes in submission order and keeps the event loop free. Reads return JSON-ready dicts with
ISO-8601 UTC strings next to the float epoch times. Tools that only read the server's records
(`ivr kb suggest`) open the file read-only and go through the same methods, so the schema
is known in this module alone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
OUTCOMES = frozenset({"answered", "transferred", "abandoned", "no-input", "error"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    call_sid TEXT PRIMARY KEY, stream_sid TEXT, protocol TEXT, from_number TEXT,
    to_number TEXT, parameters TEXT NOT NULL DEFAULT '{}', started_at REAL, ended_at REAL,
    outcome TEXT, end_reason TEXT, transfer_department TEXT, transfer_queue TEXT,
    transfer_reason TEXT);
CREATE TABLE IF NOT EXISTS turns (
    call_sid TEXT NOT NULL REFERENCES calls(call_sid), idx INTEGER NOT NULL,
    caller_text TEXT NOT NULL, intent TEXT, score REAL NOT NULL, department TEXT,
    action TEXT NOT NULL, bot_text TEXT NOT NULL, started_at REAL NOT NULL, speech_end_at REAL,
    recognized_at REAL, reply_started_at REAL, asr_ms REAL, latency_ms REAL,
    barged_in INTEGER NOT NULL DEFAULT 0, dtmf TEXT, confidence REAL,
    PRIMARY KEY (call_sid, idx));
CREATE TABLE IF NOT EXISTS events (
    call_sid TEXT NOT NULL REFERENCES calls(call_sid), seq INTEGER NOT NULL,
    kind TEXT NOT NULL, detail TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (call_sid, seq));
CREATE INDEX IF NOT EXISTS calls_started ON calls(started_at);
"""

# Utterances the bot did not resolve: no intent and no routing (no match or a clarification),
# plus clarifications that did name an intent. Key presses (empty text) are not utterances.
_UNRESOLVED_SQL = """
SELECT caller_text, COUNT(*) FROM turns
WHERE TRIM(caller_text) != ''
  AND ((intent IS NULL AND action IN ('none', 'clarify')) OR action = 'clarify')
GROUP BY caller_text ORDER BY COUNT(*) DESC, caller_text
"""

# Float epoch columns that get an "<name>_iso" companion in every returned dict.
_TIME_KEYS = ("started_at", "ended_at", "speech_end_at", "recognized_at", "reply_started_at", "at")


@dataclass(frozen=True)
class TurnRecord:
    """One caller utterance and the bot's answer, with the timestamps that explain latency."""

    caller_text: str
    intent: str | None
    score: float
    department: str | None
    action: str
    bot_text: str
    started_at: float
    speech_end_at: float | None
    recognized_at: float | None
    reply_started_at: float | None
    asr_ms: float | None
    latency_ms: float | None
    barged_in: bool = False
    dtmf: str | None = None
    confidence: float | None = None


_TURN_COLUMNS = tuple(f.name for f in fields(TurnRecord))


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, tz=UTC).isoformat(timespec="milliseconds")


def _with_iso(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    for key in _TIME_KEYS:
        if key in out:
            out[f"{key}_iso"] = _iso(out[key])
    return out


class CallStore:
    """Synchronous SQLite store; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        """Open the database at `path`, creating and migrating it; with `read_only`, open an
        existing one as it is, for tools that only read (FileNotFoundError when there is none),
        so they can never change the server's records."""
        target, uri = str(path), False
        if read_only:
            if not Path(path).is_file():
                raise FileNotFoundError(f"{Path(path)}: no call database")
            target, uri = f"file:{Path(path)}?mode=ro", True
        elif target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit, so each write is durable on return; multi-statement
        # writes use an explicit BEGIN IMMEDIATE in _tx.
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None,
                                     uri=uri)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._closed = False
        if not read_only:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._migrate()

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"call DB schema v{version} is newer than this code (v{SCHEMA_VERSION})")
        if version < SCHEMA_VERSION:
            with self._tx() as cur:
                for stmt in filter(str.strip, _SCHEMA.split(";")):
                    cur.execute(stmt)
                cur.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    @staticmethod
    def _ensure_call(cur: sqlite3.Cursor, call_sid: str, at: float | None, what: str) -> None:
        """Create a placeholder row (NULL stream_sid) so data for an unseen call is kept."""
        cur.execute("INSERT OR IGNORE INTO calls (call_sid, started_at) VALUES (?, ?)",
                    (call_sid, at))
        if cur.rowcount:
            log.warning("%s for unknown call %s: created placeholder call row", what, call_sid)

    def start_call(self, call_sid: str, *, stream_sid: str, protocol: str, from_number: str,
                   to_number: str, started_at: float, parameters: dict[str, str]) -> None:
        # A reconnect repeats `start`: keep the first real start, but do fill a placeholder
        # that an early turn/event created (placeholders are the rows with NULL stream_sid).
        with self._tx() as cur:
            cur.execute(
                """INSERT INTO calls (call_sid, stream_sid, protocol, from_number, to_number,
                       parameters, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(call_sid) DO UPDATE SET stream_sid=excluded.stream_sid,
                       protocol=excluded.protocol, from_number=excluded.from_number,
                       to_number=excluded.to_number, parameters=excluded.parameters,
                       started_at=excluded.started_at
                   WHERE calls.stream_sid IS NULL""",
                (call_sid, stream_sid, protocol, from_number, to_number,
                 json.dumps(parameters, ensure_ascii=False), started_at),
            )
            if not cur.rowcount:
                log.info("duplicate start for call %s ignored (kept the first)", call_sid)

    def add_turn(self, call_sid: str, turn: TurnRecord) -> int:
        with self._tx() as cur:
            self._ensure_call(cur, call_sid, turn.started_at, "turn")
            idx = cur.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM turns WHERE call_sid=?",
                              (call_sid,)).fetchone()[0]
            values = asdict(turn)
            values["barged_in"] = int(turn.barged_in)
            cols = ", ".join(_TURN_COLUMNS)
            marks = ", ".join("?" * len(_TURN_COLUMNS))
            cur.execute(f"INSERT INTO turns (call_sid, idx, {cols}) VALUES (?, ?, {marks})",
                        (call_sid, idx, *(values[c] for c in _TURN_COLUMNS)))
            return int(idx)

    def replace_turn(self, call_sid: str, idx: int, turn: TurnRecord) -> None:
        """Overwrite turn `idx` (a turn is written early and completed as the reply plays)."""
        values = asdict(turn)
        values["barged_in"] = int(turn.barged_in)
        sets = ", ".join(f"{c}=?" for c in _TURN_COLUMNS)
        with self._tx() as cur:
            cur.execute(f"UPDATE turns SET {sets} WHERE call_sid=? AND idx=?",
                        (*(values[c] for c in _TURN_COLUMNS), call_sid, idx))

    def add_event(self, call_sid: str, kind: str, detail: str, at: float) -> None:
        with self._tx() as cur:
            self._ensure_call(cur, call_sid, at, f"event {kind!r}")
            cur.execute(
                """INSERT INTO events (call_sid, seq, kind, detail, at) VALUES
                   (?, (SELECT COALESCE(MAX(seq) + 1, 0) FROM events WHERE call_sid=?), ?, ?, ?)""",
                (call_sid, call_sid, kind, detail, at))

    def set_transfer(self, call_sid: str, department: str, queue: str, reason: str) -> None:
        with self._tx() as cur:
            self._ensure_call(cur, call_sid, None, "transfer")
            cur.execute("""UPDATE calls SET transfer_department=?, transfer_queue=?,
                           transfer_reason=? WHERE call_sid=?""",
                        (department, queue, reason, call_sid))

    def record_outcome(self, call_sid: str, *, outcome: str, ended_at: float, reason: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {sorted(OUTCOMES)}")
        # First outcome (and its reason) wins; a later end only fills a missing ended_at.
        # SQLite evaluates every SET expression against the old row, so order is irrelevant.
        with self._tx() as cur:
            self._ensure_call(cur, call_sid, None, "end")
            cur.execute(
                """UPDATE calls SET
                       end_reason = CASE WHEN outcome IS NULL THEN ? ELSE end_reason END,
                       outcome = COALESCE(outcome, ?), ended_at = COALESCE(ended_at, ?)
                   WHERE call_sid=?""",
                (reason, outcome, ended_at, call_sid))

    def get_call(self, call_sid: str) -> dict[str, Any] | None:
        rows = self._read("SELECT * FROM calls WHERE call_sid=?", (call_sid,))
        if not rows:
            return None
        call = _with_iso(rows[0])
        call["parameters"] = json.loads(call["parameters"])
        call["turns"] = []
        for row in self._read("SELECT * FROM turns WHERE call_sid=? ORDER BY idx", (call_sid,)):
            turn = _with_iso(row)
            turn["barged_in"] = bool(turn["barged_in"])
            del turn["call_sid"]
            call["turns"].append(turn)
        events = self._read(
            "SELECT seq, kind, detail, at FROM events WHERE call_sid=? ORDER BY seq", (call_sid,))
        call["events"] = [_with_iso(row) for row in events]
        return call

    def transfer_for(self, call_sid: str) -> dict[str, Any] | None:
        rows = self._read("""SELECT transfer_department, transfer_queue, transfer_reason
                             FROM calls WHERE call_sid=?""", (call_sid,))
        if not rows or rows[0]["transfer_department"] is None:
            return None
        department, queue, reason = rows[0]
        return {"department": department, "queue": queue, "reason": reason}

    def list_calls(self, limit: int = 50) -> list[dict[str, Any]]:
        """Most recent calls first, without turns/events but with their counts."""
        rows = self._read(
            """SELECT c.*, (SELECT COUNT(*) FROM turns t WHERE t.call_sid=c.call_sid) AS turn_count,
                   (SELECT COUNT(*) FROM events e WHERE e.call_sid=c.call_sid) AS event_count
               FROM calls c ORDER BY c.started_at IS NULL, c.started_at DESC, c.rowid DESC
               LIMIT ?""", (limit,))
        calls = [_with_iso(row) for row in rows]
        for call in calls:
            call["parameters"] = json.loads(call["parameters"])
        return calls

    def unresolved_utterances(self) -> list[tuple[str, int]]:
        """(text, times heard) of every caller utterance the bot did not resolve, most heard
        first: what `ivr kb suggest` proposes new examples and intents from."""
        return [(str(text), int(n)) for text, n in self._read(_UNRESOLVED_SQL)]

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()


T = TypeVar("T")


class AsyncCallStore:
    """asyncio face of `CallStore`: each call runs on one worker thread, in submission order."""

    def __init__(self, store: CallStore | str | Path) -> None:
        self.sync = store if isinstance(store, CallStore) else CallStore(store)
        # One worker: operations execute strictly FIFO, so turn/event order is the call order.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="call-store")

    async def _run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    async def start_call(self, call_sid: str, *, stream_sid: str, protocol: str,
                         from_number: str, to_number: str, started_at: float,
                         parameters: dict[str, str]) -> None:
        await self._run(self.sync.start_call, call_sid, stream_sid=stream_sid, protocol=protocol,
                        from_number=from_number, to_number=to_number, started_at=started_at,
                        parameters=parameters)

    async def add_turn(self, call_sid: str, turn: TurnRecord) -> int:
        return await self._run(self.sync.add_turn, call_sid, turn)

    async def replace_turn(self, call_sid: str, idx: int, turn: TurnRecord) -> None:
        await self._run(self.sync.replace_turn, call_sid, idx, turn)

    async def add_event(self, call_sid: str, kind: str, detail: str, at: float) -> None:
        await self._run(self.sync.add_event, call_sid, kind, detail, at)

    async def set_transfer(self, call_sid: str, department: str, queue: str, reason: str) -> None:
        await self._run(self.sync.set_transfer, call_sid, department, queue, reason)

    async def record_outcome(self, call_sid: str, *, outcome: str, ended_at: float,
                             reason: str) -> None:
        await self._run(self.sync.record_outcome, call_sid, outcome=outcome, ended_at=ended_at,
                        reason=reason)

    async def get_call(self, call_sid: str) -> dict[str, Any] | None:
        return await self._run(self.sync.get_call, call_sid)

    async def transfer_for(self, call_sid: str) -> dict[str, Any] | None:
        return await self._run(self.sync.transfer_for, call_sid)

    async def list_calls(self, limit: int = 50) -> list[dict[str, Any]]:
        return await self._run(self.sync.list_calls, limit)

    async def unresolved_utterances(self) -> list[tuple[str, int]]:
        return await self._run(self.sync.unresolved_utterances)

    async def close(self) -> None:
        # Queued writes finish first (FIFO), then the connection closes, then the thread stops.
        await self._run(self.sync.close)
        self._executor.shutdown(wait=False)


def read_unresolved_utterances(path: str | Path) -> list[tuple[str, int]]:
    """`CallStore.unresolved_utterances` of the database at `path`, opened read-only and closed
    again: the reader `ivr kb suggest` is given (FileNotFoundError when there is none)."""
    store = CallStore(path, read_only=True)
    try:
        return store.unresolved_utterances()
    finally:
        store.close()
