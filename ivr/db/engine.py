"""Opening a database: which URL, and the connection settings each backend needs.

The embedded default is a SQLite file (WAL, foreign keys, `BEGIN IMMEDIATE` writes so two
writers queue on the lock instead of failing half-way); `IVR_DATABASE_URL` names any other
database SQLAlchemy knows, PostgreSQL being the tested one (`postgresql+psycopg://...`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be opened; the message names it and what to check."""


def database_url(url: str, db_path: Path) -> str:
    """`url` when one is configured, else the SQLite file at `db_path`."""
    return url.strip() or f"sqlite:///{Path(db_path).resolve()}"


def display_url(url: str) -> str:
    """The URL with any password masked, for logs and `/healthz`."""
    return make_url(url).render_as_string(hide_password=True)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names (None for other backends and in-memory databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def open_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine for `url`; `read_only` opens an existing SQLite file so nothing can write it
    (FileNotFoundError when there is none) — what tools reading the server's records use."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, future=True)
    path = sqlite_path(url)
    connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": 30}
    if read_only:
        if path is None or not path.is_file():
            raise FileNotFoundError(f"{path}: no call database")
        engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true",
                               connect_args=connect_args)
    else:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, connect_args=connect_args)
        else:  # in memory: one connection, or each would see its own empty database
            engine = create_engine(parsed, connect_args=connect_args, poolclass=StaticPool)
    _configure_sqlite(engine, writable=not read_only)
    return engine


def _configure_sqlite(engine: Engine, *, writable: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if writable:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writable else "BEGIN")
