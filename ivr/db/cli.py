"""`ivr db`: see and migrate the call database by hand (the server also migrates at start-up).

Operators run `ivr db status` to learn which database a configuration points at and whether
its schema is current, and `ivr db upgrade` to migrate before starting several workers.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError

from ivr.config import ServerConfig
from ivr.db.engine import database_url, display_url, open_engine, sqlite_path
from ivr.db.migrate import (
    LEGACY_REVISION,
    SchemaError,
    current_revision,
    head_revision,
    is_legacy_sqlite,
    upgrade,
)


def add_db_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    d = sub.add_parser("db", help="the call database: status, upgrade")
    d.add_argument("--url", help="database URL (default: IVR_DATABASE_URL, else the SQLite "
                   "file IVR_DB_PATH, var/ivr.sqlite3)")
    dsub = d.add_subparsers(title="db commands", required=True)
    dsub.add_parser("status", help="which database, its schema revision and the current one"
                    ).set_defaults(func=_status)
    dsub.add_parser("upgrade", help="migrate the database to the current schema"
                    ).set_defaults(func=_upgrade)


def _url(args: argparse.Namespace) -> str:
    config = ServerConfig.from_env()
    return database_url(args.url or config.database_url, config.db_path)


def _status(args: argparse.Namespace) -> int:
    url = _url(args)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        print(f"database: {display_url(url)}\nnot created yet (the server creates it at start)")
        return 0
    try:
        engine = open_engine(url)
        with engine.connect() as conn:
            revision = current_revision(conn) or (LEGACY_REVISION if is_legacy_sqlite(conn)
                                                  else None)
        engine.dispose()
    except SQLAlchemyError as exc:
        print(f"ivr db: cannot open {display_url(url)}: {exc}", file=sys.stderr)
        return 1
    head = head_revision()
    state = "current" if revision == head else "needs `ivr db upgrade`"
    print(f"database: {display_url(url)}\nrevision: {revision or 'none'} (code: {head}; {state})")
    return 0


def _upgrade(args: argparse.Namespace) -> int:
    url = _url(args)
    try:
        engine = open_engine(url)
        before, after = upgrade(engine)
        engine.dispose()
    except (SQLAlchemyError, SchemaError) as exc:
        print(f"ivr db: cannot migrate {display_url(url)}: {exc}", file=sys.stderr)
        return 1
    print(f"{display_url(url)}: " + (f"migrated {before or 'empty'} → {after}"
                                     if before != after else f"already at {after}"))
    return 0
