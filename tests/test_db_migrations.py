"""The Alembic history builds exactly the schema `ivr.db.models` declares, on both backends,
and `ivr db status` / `ivr db upgrade` say what they do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ivr.db.engine import open_engine
from ivr.db.migrate import head_revision, upgrade
from ivr.db.models import Base
from tests.conftest import REPO


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_build_the_models_schema(backend: str, tmp_path: Path,
                                            request: pytest.FixtureRequest) -> None:
    url = (f"sqlite:///{tmp_path / 'm.sqlite3'}" if backend == "sqlite"
           else request.getfixturevalue("postgres_url"))
    engine = open_engine(url)
    assert upgrade(engine) == (None, head_revision())
    assert upgrade(engine) == (head_revision(), head_revision())  # idempotent
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], "models and migrations differ: add a migration for the change"


def _ivr(*args: str, env_db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ivr.cli", "db", *args], cwd=REPO, text=True,
                          capture_output=True, env={"IVR_DB_PATH": str(env_db), "PATH": ""},
                          timeout=60)


def test_db_commands_report_and_migrate(tmp_path: Path) -> None:
    db = tmp_path / "var" / "ivr.sqlite3"
    status = _ivr("status", env_db=db)
    assert status.returncode == 0 and "not created yet" in status.stdout
    assert not db.exists()  # looking does not create it
    up = _ivr("upgrade", env_db=db)
    assert up.returncode == 0 and f"migrated empty → {head_revision()}" in up.stdout
    again = _ivr("upgrade", env_db=db)
    assert f"already at {head_revision()}" in again.stdout
    assert "current" in _ivr("status", env_db=db).stdout
    bad = subprocess.run([sys.executable, "-m", "ivr.cli", "db", "--url",
                          "postgresql+psycopg://nobody@127.0.0.1:1/none", "status"],
                         cwd=REPO, text=True, capture_output=True, timeout=60)
    assert bad.returncode == 1
    assert "cannot open postgresql+psycopg://nobody@127.0.0.1:1" in bad.stderr
