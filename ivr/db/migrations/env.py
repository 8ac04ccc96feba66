"""Alembic environment: runs on the connection `ivr.db.migrate` hands over (never a URL from
an ini file), so the server, `ivr db upgrade` and the tests migrate exactly the same way."""

from __future__ import annotations

from alembic import context

from ivr.db.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
