"""Callback requests in the database, changed only through the pure rules of `callbacks`.

Every change reads the row locked (`FOR UPDATE` on PostgreSQL; SQLite writes hold the
database lock from `BEGIN IMMEDIATE`), applies the rule, and writes the result in the same
transaction, so two agents on two workers can never both take one callback. `claim_next`
hands an agent the oldest open callback of their skills, skipping rows another transaction
holds (`SKIP LOCKED`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, fields
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update

from ivr.contact.callbacks import (
    DEFAULTS,
    Callback,
    CallbackConfig,
    CallbackError,
    is_overdue,
    new_callback,
    record_outcome,
    release,
    take,
)
from ivr.db.models import CallbackRow

Rule = Callable[[Callback], Callback | CallbackError]


class CallbackNotFound(LookupError):
    """No callback with that id (a 404 for the API)."""


def _to_callback(row: Row[Any]) -> Callback:
    return Callback(row.number, row.department, row.created_at, row.due_at, row.status,
                    row.attempts, row.agent_id, row.note)


def callback_of(view: dict[str, Any]) -> Callback:
    """The pure callback behind a stored view (what `get` and `list` return)."""
    return Callback(**{f.name: view[f.name] for f in fields(Callback)})


def _view(row: Row[Any], now: float) -> dict[str, Any]:
    out = dict(row._mapping)
    out["context"] = json.loads(out["context"])
    out["dials"] = json.loads(out["dials"])
    out["overdue"] = is_overdue(_to_callback(row), now)
    return out


class CallbackStore:
    def __init__(self, engine: Engine, config: CallbackConfig = DEFAULTS) -> None:
        self.engine = engine
        self.config = config

    def create(self, *, number: str, department: str, now: float, call_sid: str | None = None,
               context: dict[str, Any] | None = None) -> int:
        cb = new_callback(number, department, now, self.config)
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(CallbackRow).values(
                call_sid=call_sid, context=json.dumps(context or {}, ensure_ascii=False),
                updated_at=now, **asdict(cb)).returning(CallbackRow.id)).scalar_one()
        return int(new_id)

    def get(self, callback_id: int, now: float) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(CallbackRow).where(CallbackRow.id == callback_id)).first()
        if row is None:
            raise CallbackNotFound(f"no callback {callback_id}")
        return _view(row, now)

    def list(self, now: float, *, statuses: Iterable[str] = ("pending", "taken"),
             departments: Iterable[str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Open callbacks by default, the most overdue (earliest due) first."""
        stmt = select(CallbackRow).where(CallbackRow.status.in_(list(statuses)))
        if departments is not None:
            stmt = stmt.where(CallbackRow.department.in_(list(departments)))
        stmt = stmt.order_by(CallbackRow.due_at, CallbackRow.id).limit(limit)
        with self.engine.connect() as conn:
            return [_view(row, now) for row in conn.execute(stmt)]

    def take(self, callback_id: int, agent_id: str, now: float) -> dict[str, Any] | CallbackError:
        return self._change(callback_id, now, lambda cb: take(cb, agent_id))

    def release(self, callback_id: int, agent_id: str,
                now: float) -> dict[str, Any] | CallbackError:
        return self._change(callback_id, now, lambda cb: release(cb, agent_id))

    def record_outcome(self, callback_id: int, agent_id: str, outcome: str, note: str,
                       now: float) -> dict[str, Any] | CallbackError:
        return self._change(callback_id, now, lambda cb: record_outcome(
            cb, agent_id, outcome, note, self.config))

    def add_dial(self, callback_id: int, dial: dict[str, Any], now: float) -> dict[str, Any]:
        """Keep one call-back attempt on the callback, whatever state it is in by now: a call
        Twilio placed (or refused) is recorded even if the agent released it meanwhile."""
        with self.engine.begin() as conn:
            stmt = select(CallbackRow.dials).where(CallbackRow.id == callback_id)
            if conn.dialect.name == "postgresql":
                stmt = stmt.with_for_update()
            dials = conn.execute(stmt).scalar()
            if dials is None:
                raise CallbackNotFound(f"no callback {callback_id}")
            kept = [*json.loads(dials), dial]
            conn.execute(update(CallbackRow).where(CallbackRow.id == callback_id).values(
                dials=json.dumps(kept, ensure_ascii=False), updated_at=now))
            row = conn.execute(select(CallbackRow).where(CallbackRow.id == callback_id)).one()
        return _view(row, now)

    def claim_next(self, agent_id: str, skills: Iterable[str],
                   now: float) -> dict[str, Any] | None:
        """Take the open callback due first among `skills` for `agent_id`, or None."""
        with self.engine.begin() as conn:
            stmt = (select(CallbackRow.id)
                    .where(CallbackRow.status == "pending",
                           CallbackRow.department.in_(list(skills)))
                    .order_by(CallbackRow.due_at, CallbackRow.id).limit(1))
            if conn.dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            found = conn.execute(stmt).scalar()
            if found is None:
                return None
            result = self._change_in(conn, int(found), now, lambda cb: take(cb, agent_id))
        return None if isinstance(result, CallbackError) else result

    def _change(self, callback_id: int, now: float,
                rule: Rule) -> dict[str, Any] | CallbackError:
        with self.engine.begin() as conn:
            return self._change_in(conn, callback_id, now, rule)

    def _change_in(self, conn: Connection, callback_id: int, now: float,
                   rule: Rule) -> dict[str, Any] | CallbackError:
        stmt = select(CallbackRow).where(CallbackRow.id == callback_id)
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        row = conn.execute(stmt).first()
        if row is None:
            raise CallbackNotFound(f"no callback {callback_id}")
        result = rule(_to_callback(row))
        if isinstance(result, CallbackError):
            return result
        conn.execute(update(CallbackRow).where(CallbackRow.id == callback_id)
                     .values(updated_at=now, **asdict(result)))
        updated = conn.execute(select(CallbackRow).where(CallbackRow.id == callback_id)).one()
        return _view(updated, now)
