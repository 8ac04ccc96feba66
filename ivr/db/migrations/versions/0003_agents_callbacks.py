"""Agents and callback requests: the first contact-centre tables.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("agent_id", sa.String(100), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("key_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("skills", sa.Text, nullable=False, server_default="[]"),
        sa.Column("dial_target", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default="0"),
    )
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_sid", sa.Text, sa.ForeignKey("calls.call_sid")),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("context", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("due_at", sa.Float, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("agent_id", sa.String(100)),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("callbacks_open", "callbacks", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("callbacks_open", "callbacks")
    op.drop_table("callbacks")
    op.drop_table("agents")
