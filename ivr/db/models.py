"""The tables, as SQLAlchemy 2 declarative models.

Times are float epoch seconds (what the call path measures with); readers add ISO strings.
JSON-shaped columns are TEXT holding JSON so the same schema runs on SQLite and PostgreSQL.
A change here needs a migration in `migrations/versions/` (tests compare the two).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Call(Base):
    """One phone call; `worker` is the server process holding its media (for the restart sweep)."""

    __tablename__ = "calls"

    call_sid: Mapped[str] = mapped_column(Text, primary_key=True)
    stream_sid: Mapped[str | None] = mapped_column(Text)
    protocol: Mapped[str | None] = mapped_column(Text)
    from_number: Mapped[str | None] = mapped_column(Text)
    to_number: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[str] = mapped_column(Text, nullable=False, server_default="{}")
    started_at: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str | None] = mapped_column(Text)
    end_reason: Mapped[str | None] = mapped_column(Text)
    transfer_department: Mapped[str | None] = mapped_column(Text)
    transfer_queue: Mapped[str | None] = mapped_column(Text)
    transfer_reason: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(200))
    # the contact centre (migration 0004): queue wait = connected_at - queued_at
    queued_at: Mapped[float | None] = mapped_column(Float)
    connected_at: Mapped[float | None] = mapped_column(Float)
    agent_id: Mapped[str | None] = mapped_column(String(100))
    transfer_target: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("calls_started", "started_at"),
        Index("calls_open_by_worker", "worker", "outcome"),
    )


class Turn(Base):
    """One caller utterance and the bot's answer, with the timestamps that explain latency."""

    __tablename__ = "turns"

    call_sid: Mapped[str] = mapped_column(Text, ForeignKey("calls.call_sid"), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    caller_text: Mapped[str] = mapped_column(Text, nullable=False)
    intent: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    department: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    bot_text: Mapped[str] = mapped_column(Text, nullable=False)
    started_at: Mapped[float] = mapped_column(Float, nullable=False)
    speech_end_at: Mapped[float | None] = mapped_column(Float)
    recognized_at: Mapped[float | None] = mapped_column(Float)
    reply_started_at: Mapped[float | None] = mapped_column(Float)
    asr_ms: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    barged_in: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="0")
    dtmf: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)


class Event(Base):
    """Something that happened in a call besides a turn (a key, a mark, an error), in order."""

    __tablename__ = "events"

    call_sid: Mapped[str] = mapped_column(Text, ForeignKey("calls.call_sid"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    detail: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[float] = mapped_column(Float, nullable=False)


class AgentRow(Base):
    """An agent of the contact centre: who they are, what they may take, how they sign in
    (the SHA-256 of their API key, never the key), and where a platform transfer reaches them."""

    __tablename__ = "agents"

    agent_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    key_sha256: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    skills: Mapped[str] = mapped_column(Text, nullable=False, server_default="[]")
    dial_target: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float, nullable=False)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="0")


class CallbackRow(Base):
    """A caller's request to be called back (遇忙回拨), with what they told the bot."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_sid: Mapped[str | None] = mapped_column(Text, ForeignKey("calls.call_sid"))
    number: Mapped[str] = mapped_column(Text, nullable=False)
    department: Mapped[str] = mapped_column(Text, nullable=False)
    context: Mapped[str] = mapped_column(Text, nullable=False, server_default="{}")
    created_at: Mapped[float] = mapped_column(Float, nullable=False)
    due_at: Mapped[float] = mapped_column(Float, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    agent_id: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    updated_at: Mapped[float] = mapped_column(Float, nullable=False)
    # every call back placed through the platform, placed or refused (migration 0005)
    dials: Mapped[str] = mapped_column(Text, nullable=False, server_default="[]")

    __table_args__ = (Index("callbacks_open", "status", "due_at"),)
