"""Which server process holds each call, so a restart closes only its own calls.

With several workers on one PostgreSQL database, a worker that restarts after a crash must
close the calls it was holding as `interrupted`, and must not touch the calls the others are
serving right now.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("worker", sa.String(200)))
    op.create_index("calls_open_by_worker", "calls", ["worker", "outcome"])


def downgrade() -> None:
    op.drop_index("calls_open_by_worker", "calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("worker")
