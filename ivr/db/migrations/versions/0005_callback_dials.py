"""Each call back placed through the platform (Twilio REST), kept on its callback as a JSON
list: when, by whom, to which number, and Twilio's call sid or its refusal.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        batch.add_column(sa.Column("dials", sa.Text(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        batch.drop_column("dials")
