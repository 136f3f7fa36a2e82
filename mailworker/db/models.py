"""SQLAlchemy models: the ledger of every message, raw bytes, and what processing made of them.

The schema itself is created and changed only by the Alembic migrations in
``mailworker/db/migrations``; these classes must stay in step with them
(``tests/test_db.py`` compares the two).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Ledger statuses.  ``fetched`` is the only non-final one.
FETCHED = "fetched"
PROCESSED = "processed"
REVIEW = "review"
QUARANTINED = "quarantined"
DUPLICATE = "duplicate"
STATUSES = (FETCHED, PROCESSED, REVIEW, QUARANTINED, DUPLICATE)


class Base(DeclarativeBase):
    """Declarative base of every mailworker table."""


class RawBlob(Base):
    """Raw RFC 5322 bytes, content-addressed by SHA-256 (identical bytes are stored once)."""

    __tablename__ = "raw_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Message(Base):
    """One row for every message ever seen, keyed by where it came from."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("mailbox", "folder", "uidvalidity", "source_key", name="uq_messages_source"),
        Index("ix_messages_identity", "message_id", "sha256"),
        Index("ix_messages_status", "status"),
        Index("ix_messages_uid", "mailbox", "folder", "uidvalidity", "uid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mailbox: Mapped[str] = mapped_column(String(200))
    folder: Mapped[str] = mapped_column(String(1000))
    uidvalidity: Mapped[int] = mapped_column(BigInteger, default=0)
    uid: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    source_key: Mapped[str] = mapped_column(String(1000))
    message_id: Mapped[str | None] = mapped_column(String(998), nullable=True)
    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("raw_blobs.sha256"))
    size: Mapped[int] = mapped_column(BigInteger)
    headers_only: Mapped[bool] = mapped_column(Boolean, default=False)
    internaldate: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default=FETCHED)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), nullable=True)
    post_action_done: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    traceback: Mapped[str | None] = mapped_column(Text, nullable=True)
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    sender: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
