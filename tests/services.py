"""Real PostgreSQL and Redis for the tests that need them.

On a developer's machine without the service these tests skip and say why; CI sets
IVR_REQUIRE_SERVICES=1 (in .ci/run), which turns the skip into a failure, so the tests can
never silently stop running there. IVR_TEST_POSTGRES_URL points at another server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get(
    "IVR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def service_unavailable(what: str, why: object) -> None:
    """Skip (or, with IVR_REQUIRE_SERVICES=1, fail) because `what` cannot be reached."""
    message = f"{what} is not reachable: {why}"
    if os.environ.get("IVR_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} (IVR_REQUIRE_SERVICES=1: this test must run here)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A new, empty database on the PostgreSQL server, dropped at the end of the session."""
    with own_database() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The session's database with an empty public schema: each test starts from nothing."""
    engine = create_engine(postgres_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return postgres_database


REDIS_URL = os.environ.get("IVR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    """The Redis server, checked reachable (its keys are the test's own: see `redis_prefix`)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:
        service_unavailable(f"Redis at {REDIS_URL!r}", exc)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test uses; its keys are deleted afterwards."""
    with own_prefix() as (_url, prefix):
        yield prefix


@contextmanager
def own_database() -> Iterator[str]:
    """A new database for a group of tests (several servers share it), dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"ivr_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        service_unavailable(f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL)!r}", exc)
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def own_prefix() -> Iterator[tuple[str, str]]:
    """The Redis URL and a key prefix of its own, whose keys are deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:
        client.close()
        service_unavailable(f"Redis at {REDIS_URL!r}", exc)
    prefix = f"ivrtest-{uuid.uuid4().hex[:12]}"
    try:
        yield REDIS_URL, prefix
    finally:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()
