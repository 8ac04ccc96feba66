"""Call records: every call, turn and event is committed the moment it happens.

A socket that drops mid-call therefore loses nothing already said. `CallStore` is the
synchronous core, on SQLAlchemy (a SQLite file by default, PostgreSQL by URL; the schema is
`ivr.db.models`, migrated by Alembic when a writable store opens); `ivr.store_async` is its
face for the asyncio call session (one worker thread, writes kept through an outage). Reads
return JSON-ready
dicts with ISO-8601 UTC strings next to the float epoch times. Tools that only read the
server's records (`ivr kb suggest`) open the file read-only and go through the same methods.
A server that starts again closes the calls it held when it stopped (`sweep_interrupted`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ivr.db.engine import display_url, open_engine
from ivr.db.migrate import require_head, upgrade
from ivr.db.models import Call, Event, Turn

log = logging.getLogger(__name__)

# agent / callback / message: how a call the contact centre held ended (ivr.call_hold)
OUTCOMES = frozenset({"answered", "transferred", "abandoned", "no-input", "error",
                      "interrupted", "agent", "callback", "message"})
DEFAULT_WORKER = "main"
DEFAULT_RETRY_S = 2.0  # how often writes kept through a database outage are retried
# longest a call waits for one write (real time: a database that hangs rather than fails)
DEFAULT_WRITE_WAIT_S = 2.0

# Utterances the bot did not resolve: no intent and no routing (no match or a clarification),
# plus clarifications that did name an intent. Key presses (empty text) are not utterances.
_UNRESOLVED = (
    select(Turn.caller_text, func.count().label("n"))
    .where(func.trim(Turn.caller_text) != "",
           or_(and_(Turn.intent.is_(None), Turn.action.in_(("none", "clarify"))),
               Turn.action == "clarify"))
    .group_by(Turn.caller_text)
    .order_by(func.count().desc(), Turn.caller_text)
)

# Float epoch columns that get an "<name>_iso" companion in every returned dict.
_TIME_KEYS = ("started_at", "ended_at", "speech_end_at", "recognized_at", "reply_started_at", "at",
              "queued_at", "connected_at")


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


def _with_iso(row: Mapping[Any, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in _TIME_KEYS:
        if key in out:
            out[f"{key}_iso"] = _iso(out[key])
    return out


def _with_queue_wait(call: dict[str, Any]) -> dict[str, Any]:
    """Seconds the caller waited in the contact centre's queue (until answered or the end)."""
    queued, until = call.get("queued_at"), call.get("connected_at") or call.get("ended_at")
    call["queue_wait_s"] = round(until - queued, 1) if queued and until else None
    return call


def _store_url(target: str | Path) -> str:
    """A URL as given, or a SQLite path (":memory:" included) turned into one."""
    text = str(target)
    if "://" in text:
        return text
    return "sqlite://" if text == ":memory:" else f"sqlite:///{Path(text)}"


class CallStore:
    """Synchronous store; safe to share between threads (SQLAlchemy's pool, one tx per call)."""

    def __init__(self, target: str | Path | Engine, *, read_only: bool = False,
                 worker: str = DEFAULT_WORKER) -> None:
        """Open the database at `target` (a SQLite path, a URL or an engine), migrating it to
        the current schema; with `read_only`, open an existing SQLite file as it is, for tools
        that only read (FileNotFoundError when there is none, SchemaError when it is not at the
        current schema), so they can never change the server's records. `worker` names this
        process in the calls it starts (the restart sweep closes only its own)."""
        self.engine = (target if isinstance(target, Engine)
                       else open_engine(_store_url(target), read_only=read_only))
        self.worker = worker
        self._closed = False
        if read_only:
            require_head(self.engine)
        else:
            upgrade(self.engine)

    @property
    def url(self) -> str:
        return display_url(self.engine.url.render_as_string(hide_password=False))

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def _insert(self, conn: Connection, model: Any) -> Any:
        """The dialect's INSERT, which has ON CONFLICT on both SQLite and PostgreSQL."""
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        return dialect.insert(model)

    def _ensure_call(self, conn: Connection, call_sid: str, at: float | None, what: str) -> None:
        """Create a placeholder row (NULL stream_sid) so data for an unseen call is kept."""
        stmt = self._insert(conn, Call).values(call_sid=call_sid, started_at=at,
                                               worker=self.worker)
        stmt = stmt.on_conflict_do_nothing(index_elements=["call_sid"]).returning(Call.call_sid)
        if conn.execute(stmt).first() is not None:  # RETURNING: a row only when inserted
            log.warning("%s for unknown call %s: created placeholder call row", what, call_sid)

    def start_call(self, call_sid: str, *, stream_sid: str, protocol: str, from_number: str,
                   to_number: str, started_at: float, parameters: dict[str, str]) -> bool:
        """Record a new call; False (and nothing changed) when `call_sid` is already a call.

        Call ids are chosen by the client, so a start that reuses one must not join another
        caller's record: the first real start is kept and the session refuses the stream. A
        placeholder that an early turn/event created (a row with NULL stream_sid) is filled.
        One INSERT … ON CONFLICT, so two starts racing for one id (on one server or several
        sharing a database) cannot both win.
        """
        values = dict(stream_sid=stream_sid, protocol=protocol, from_number=from_number,
                      to_number=to_number, started_at=started_at, worker=self.worker,
                      parameters=json.dumps(parameters, ensure_ascii=False))
        with self._tx() as conn:
            stmt = self._insert(conn, Call).values(call_sid=call_sid, **values)
            stmt = stmt.on_conflict_do_update(
                index_elements=["call_sid"], set_={k: stmt.excluded[k] for k in values},
                where=Call.stream_sid.is_(None)).returning(Call.call_sid)
            if conn.execute(stmt).first() is None:
                log.warning("start for call %s refused: that call id is already recorded",
                            call_sid)
                return False
            return True

    def add_turn(self, call_sid: str, turn: TurnRecord) -> int:
        with self._tx() as conn:
            self._ensure_call(conn, call_sid, turn.started_at, "turn")
            idx = conn.execute(select(func.coalesce(func.max(Turn.idx) + 1, 0))
                               .where(Turn.call_sid == call_sid)).scalar_one()
            conn.execute(self._insert(conn, Turn).values(call_sid=call_sid, idx=idx,
                                                         **asdict(turn)))
            return int(idx)

    def replace_turn(self, call_sid: str, idx: int, turn: TurnRecord) -> None:
        """Overwrite turn `idx` (a turn is written early and completed as the reply plays)."""
        with self._tx() as conn:
            conn.execute(update(Turn).where(Turn.call_sid == call_sid, Turn.idx == idx)
                         .values(**asdict(turn)))

    def add_event(self, call_sid: str, kind: str, detail: str, at: float) -> None:
        with self._tx() as conn:
            self._ensure_call(conn, call_sid, at, f"event {kind!r}")
            seq = conn.execute(select(func.coalesce(func.max(Event.seq) + 1, 0))
                               .where(Event.call_sid == call_sid)).scalar_one()
            conn.execute(self._insert(conn, Event).values(call_sid=call_sid, seq=seq, kind=kind,
                                                          detail=detail, at=at))

    def set_transfer(self, call_sid: str, department: str, queue: str, reason: str) -> None:
        with self._tx() as conn:
            self._ensure_call(conn, call_sid, None, "transfer")
            conn.execute(update(Call).where(Call.call_sid == call_sid).values(
                transfer_department=department, transfer_queue=queue, transfer_reason=reason))

    def set_queue(self, call_sid: str, *, queued_at: float | None = None,
                  connected_at: float | None = None, agent_id: str | None = None,
                  transfer_target: str | None = None) -> None:
        """What the contact centre did with the call; only the fields given change."""
        values = {k: v for k, v in dict(queued_at=queued_at, connected_at=connected_at,
                                        agent_id=agent_id,
                                        transfer_target=transfer_target).items()
                  if v is not None}
        if not values:
            return
        with self._tx() as conn:
            self._ensure_call(conn, call_sid, None, "queue")
            conn.execute(update(Call).where(Call.call_sid == call_sid).values(**values))

    def record_outcome(self, call_sid: str, *, outcome: str, ended_at: float, reason: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {sorted(OUTCOMES)}")
        # First outcome (and its reason) wins; a later end only fills a missing ended_at.
        # SQL evaluates every SET expression against the old row, so order is irrelevant.
        with self._tx() as conn:
            self._ensure_call(conn, call_sid, None, "end")
            conn.execute(update(Call).where(Call.call_sid == call_sid).values(
                end_reason=case((Call.outcome.is_(None), reason), else_=Call.end_reason),
                outcome=func.coalesce(Call.outcome, outcome),
                ended_at=func.coalesce(Call.ended_at, ended_at)))

    def sweep_interrupted(self, now: float, *, all_workers: bool = False) -> list[str]:
        """Close every call this worker left open (it was stopped or killed mid-call) as
        `interrupted`, ended at the last thing recorded in it; returns their ids. Calls of
        other workers sharing the database are theirs to close, unless `all_workers` (a
        SQLite file has one server); rows from before calls named their worker are closed by
        whichever worker starts first."""
        mine = or_(Call.worker == self.worker, Call.worker.is_(None))
        with self._tx() as conn:
            open_calls = conn.execute(select(Call.call_sid, Call.started_at).where(
                Call.outcome.is_(None), *(() if all_workers else (mine,)))).all()
            for call_sid, started_at in open_calls:
                last = max(filter(None, (
                    conn.execute(select(func.max(Event.at)).where(
                        Event.call_sid == call_sid)).scalar(),
                    conn.execute(select(func.max(Turn.started_at)).where(
                        Turn.call_sid == call_sid)).scalar(),
                    started_at)), default=now)
                conn.execute(update(Call).where(Call.call_sid == call_sid).values(
                    outcome="interrupted", ended_at=func.coalesce(Call.ended_at, last),
                    end_reason=f"the server ({self.worker}) stopped during the call"))
        sids = [sid for sid, _ in open_calls]
        if sids:
            log.warning("closed %d call(s) left open when this server last stopped: %s",
                        len(sids), ", ".join(sids[:10]) + (" …" if len(sids) > 10 else ""))
        return sids

    def get_call(self, call_sid: str, *, max_events: int | None = None) -> dict[str, Any] | None:
        """One call with its turns and its events in order, or None. With `max_events`, only
        the first that many events (`event_count` says how many there are), so one record's
        answer stays bounded however much a peer made the call record."""
        with self.engine.connect() as conn:
            row = conn.execute(select(Call).where(Call.call_sid == call_sid)).mappings().first()
            if row is None:
                return None
            call = _with_queue_wait(_with_iso(row))
            call["parameters"] = json.loads(call["parameters"])
            turns = conn.execute(select(Turn).where(Turn.call_sid == call_sid)
                                 .order_by(Turn.idx)).mappings().all()
            events = conn.execute(select(Event.seq, Event.kind, Event.detail, Event.at)
                                  .where(Event.call_sid == call_sid)
                                  .order_by(Event.seq).limit(max_events)).mappings().all()
            event_count = (len(events) if max_events is None or len(events) < max_events
                           else conn.execute(select(func.count()).where(
                               Event.call_sid == call_sid)).scalar_one())
        call["turns"] = []
        for row in turns:
            turn = _with_iso(row)
            turn["barged_in"] = bool(turn["barged_in"])
            del turn["call_sid"]
            call["turns"].append(turn)
        call["events"] = [_with_iso(row) for row in events]
        call["event_count"] = int(event_count)
        return call

    def transfer_for(self, call_sid: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(Call.transfer_department, Call.transfer_queue,
                                      Call.transfer_reason, Call.transfer_target)
                               .where(Call.call_sid == call_sid)).first()
        if row is None or row[0] is None:
            return None
        department, queue, reason, target = row
        return {"department": department, "queue": queue, "reason": reason, "target": target}

    def list_calls(self, limit: int = 50) -> list[dict[str, Any]]:
        """Most recent calls first, without turns/events but with their counts."""
        turn_count = (select(func.count()).where(Turn.call_sid == Call.call_sid)
                      .scalar_subquery().label("turn_count"))
        event_count = (select(func.count()).where(Event.call_sid == Call.call_sid)
                       .scalar_subquery().label("event_count"))
        stmt = (select(Call, turn_count, event_count)
                .order_by(Call.started_at.is_(None), Call.started_at.desc(),
                          Call.call_sid.desc())
                .limit(limit))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        calls = [_with_queue_wait(_with_iso(row)) for row in rows]
        for call in calls:
            call["parameters"] = json.loads(call["parameters"])
        return calls

    def calls_from(self, number: str, *, before: str, limit: int = 5) -> list[dict[str, Any]]:
        """Earlier calls from `number` (newest first, not counting call `before`): what an
        agent sees about a caller before accepting them."""
        if not number:
            return []
        stmt = (select(Call.call_sid, Call.started_at, Call.outcome, Call.transfer_department)
                .where(Call.from_number == number, Call.call_sid != before)
                .order_by(Call.started_at.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [_with_iso(row) for row in conn.execute(stmt).mappings().all()]

    def unresolved_utterances(self) -> list[tuple[str, int]]:
        """(text, times heard) of every caller utterance the bot did not resolve, most heard
        first: what `ivr kb suggest` proposes new examples and intents from."""
        with self.engine.connect() as conn:
            return [(str(text), int(n)) for text, n in conn.execute(_UNRESOLVED)]

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.engine.dispose()


def read_unresolved_utterances(path: str | Path) -> list[tuple[str, int]]:
    """`CallStore.unresolved_utterances` of the database at `path`, opened read-only and closed
    again: the reader `ivr kb suggest` is given (FileNotFoundError when there is none)."""
    store = CallStore(path, read_only=True)
    try:
        return store.unresolved_utterances()
    finally:
        store.close()
