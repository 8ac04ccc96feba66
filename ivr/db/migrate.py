"""Bringing a database to the schema this code needs, with Alembic.

The server upgrades at start-up; `ivr db upgrade` does the same by hand. SQLite files written
before Alembic (`PRAGMA user_version=1`, no `alembic_version` table) are recognised and stamped
at revision 0001 first, so they migrate forward with their records. On PostgreSQL an advisory
lock makes workers starting together migrate one at a time.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK_ID = 0x1F1A_0001  # arbitrary, fixed: "hotline-ivr schema"
LEGACY_REVISION = "0001"


class SchemaError(RuntimeError):
    """The database's schema is not one this code can use; the message says what to do."""


def _config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def is_legacy_sqlite(conn: Connection) -> bool:
    if conn.dialect.name != "sqlite" or not inspect(conn).has_table("calls"):
        return False
    return bool(conn.exec_driver_sql("PRAGMA user_version").scalar() == 1)


def _check_known(revision: str | None) -> None:
    known = {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
    if revision is not None and revision not in known:
        raise SchemaError(
            f"the database is at schema revision {revision!r}, newer than this version of "
            f"hotline-ivr knows (head {head_revision()!r}): upgrade hotline-ivr, or point "
            "IVR_DATABASE_URL at another database")


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to head; returns (revision before, revision after)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
        before = current_revision(conn)
        _check_known(before)
        cfg = _config(conn)
        if before is None and is_legacy_sqlite(conn):
            log.info("call database predates migrations: stamping it at %s", LEGACY_REVISION)
            command.stamp(cfg, LEGACY_REVISION)
            before = LEGACY_REVISION
        command.upgrade(cfg, "head")
        after = current_revision(conn)
    assert after is not None
    if before != after:
        log.info("call database migrated from %s to %s", before or "empty", after)
    return before, after


def require_head(engine: Engine) -> None:
    """Raise SchemaError unless the database is at head: readers never migrate, so a reader
    of an old or foreign file says so instead of failing on a missing column."""
    with engine.connect() as conn:
        revision = current_revision(conn)
        if revision is None and is_legacy_sqlite(conn):
            revision = LEGACY_REVISION
    _check_known(revision)
    if revision != head_revision():
        raise SchemaError(
            f"the call database is at schema revision {revision or 'none'}, this code needs "
            f"{head_revision()}: start the server once or run `ivr db upgrade` to migrate it")
