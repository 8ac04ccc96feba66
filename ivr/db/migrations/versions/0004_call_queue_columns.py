"""What the contact centre did with a call: when it queued, when and by whom it was answered,
and where a platform transfer sent it (an agent's number or SIP address).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (("queued_at", sa.Float()), ("connected_at", sa.Float()),
           ("agent_id", sa.String(100)), ("transfer_target", sa.Text()))


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
