"""Agent accounts in the database: who may sign in to the desk and with which skills.

An agent signs in with an API key (role `agent`). The key is shown once, when the account is
made, and only its SHA-256 is stored, so a copy of the database does not let anyone sign in.
Looking a key up by its hash is one indexed query; the hash is compared, never the key.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from ivr.apikeys import key_digest
from ivr.db.models import AgentRow

AGENT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class AgentError(ValueError):
    """A request about agents that cannot be carried out (a 4xx for the API)."""


@dataclass(frozen=True)
class AgentAccount:
    agent_id: str
    name: str
    skills: frozenset[str]
    dial_target: str | None
    disabled: bool

    def view(self) -> dict[str, Any]:
        return {"agent_id": self.agent_id, "name": self.name, "skills": sorted(self.skills),
                "dial_target": self.dial_target, "disabled": self.disabled}


def _account(row: Row[Any]) -> AgentAccount:
    return AgentAccount(row.agent_id, row.name, frozenset(json.loads(row.skills)),
                        row.dial_target, bool(row.disabled))


class AgentStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, agent_id: str, *, name: str, skills: frozenset[str] | set[str],
            now: float, dial_target: str | None = None) -> tuple[AgentAccount, str]:
        """Create an account; returns it with its new API key (the only time it is seen)."""
        if not AGENT_ID.match(agent_id):
            raise AgentError(f"agent id {agent_id!r}: use 1-100 letters, digits, '_', '-', '.'")
        if not skills:
            raise AgentError("an agent needs at least one skill (a department id)")
        key = secrets.token_urlsafe(24)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(AgentRow).values(
                    agent_id=agent_id, name=name or agent_id, key_sha256=key_digest(key),
                    skills=json.dumps(sorted(skills)), dial_target=dial_target,
                    created_at=now, disabled=False))
        except IntegrityError as exc:
            raise AgentError(f"agent {agent_id!r} exists already") from exc
        return self.get(agent_id), key

    def get(self, agent_id: str) -> AgentAccount:
        with self.engine.connect() as conn:
            row = conn.execute(select(AgentRow).where(AgentRow.agent_id == agent_id)).first()
        if row is None:
            raise LookupError(f"no agent {agent_id!r}")
        return _account(row)

    def by_key(self, key: str) -> AgentAccount | None:
        """The enabled account this key signs in, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(AgentRow).where(
                AgentRow.key_sha256 == key_digest(key))).first()
        if row is None or row.disabled:
            return None
        return _account(row)

    def list(self) -> list[AgentAccount]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(AgentRow).order_by(AgentRow.agent_id)).all()
        return [_account(r) for r in rows]

    def update(self, agent_id: str, *, skills: set[str] | None = None,
               disabled: bool | None = None, dial_target: str | None = None,
               name: str | None = None) -> AgentAccount:
        values: dict[str, Any] = {}
        if skills is not None:
            if not skills:
                raise AgentError("an agent needs at least one skill (a department id)")
            values["skills"] = json.dumps(sorted(skills))
        if disabled is not None:
            values["disabled"] = disabled
        if dial_target is not None:
            values["dial_target"] = dial_target or None
        if name is not None:
            values["name"] = name
        if values:
            with self.engine.begin() as conn:
                done = conn.execute(update(AgentRow).where(AgentRow.agent_id == agent_id)
                                    .values(**values)).rowcount
            if not done:
                raise LookupError(f"no agent {agent_id!r}")
        return self.get(agent_id)

    def new_key(self, agent_id: str) -> str:
        """Replace the agent's key (a lost or leaked one stops working at once)."""
        key = secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            done = conn.execute(update(AgentRow).where(AgentRow.agent_id == agent_id)
                                .values(key_sha256=key_digest(key))).rowcount
        if not done:
            raise LookupError(f"no agent {agent_id!r}")
        return key
