"""Calls, turns and events: the schema the SQLite store had as `PRAGMA user_version=1`.

Files made before Alembic are stamped at this revision (ivr.db.migrate), not re-created.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("call_sid", sa.Text, primary_key=True),
        sa.Column("stream_sid", sa.Text), sa.Column("protocol", sa.Text),
        sa.Column("from_number", sa.Text), sa.Column("to_number", sa.Text),
        sa.Column("parameters", sa.Text, nullable=False, server_default="{}"),
        sa.Column("started_at", sa.Float), sa.Column("ended_at", sa.Float),
        sa.Column("outcome", sa.Text), sa.Column("end_reason", sa.Text),
        sa.Column("transfer_department", sa.Text), sa.Column("transfer_queue", sa.Text),
        sa.Column("transfer_reason", sa.Text),
    )
    op.create_table(
        "turns",
        sa.Column("call_sid", sa.Text, sa.ForeignKey("calls.call_sid"), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("caller_text", sa.Text, nullable=False), sa.Column("intent", sa.Text),
        sa.Column("score", sa.Float, nullable=False), sa.Column("department", sa.Text),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("bot_text", sa.Text, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("speech_end_at", sa.Float), sa.Column("recognized_at", sa.Float),
        sa.Column("reply_started_at", sa.Float), sa.Column("asr_ms", sa.Float),
        sa.Column("latency_ms", sa.Float),
        sa.Column("barged_in", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("dtmf", sa.Text), sa.Column("confidence", sa.Float),
    )
    op.create_table(
        "events",
        sa.Column("call_sid", sa.Text, sa.ForeignKey("calls.call_sid"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.Text, nullable=False), sa.Column("detail", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("calls_started", "calls", ["started_at"])


def downgrade() -> None:
    op.drop_index("calls_started", "calls")
    op.drop_table("events")
    op.drop_table("turns")
    op.drop_table("calls")
