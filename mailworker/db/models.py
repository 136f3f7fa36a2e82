"""SQLAlchemy models: the ledger of every message, raw bytes, and what processing made of them.

The schema itself is created and changed only by the Alembic migrations in
``mailworker/db/migrations``; these classes must stay in step with them
(``tests/test_db.py`` compares the two).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
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
    # Times the row was taken up again after a worker died with it unfinished (see feeder.leftovers).
    leftover_runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    traceback: Mapped[str | None] = mapped_column(Text, nullable=True)
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    sender: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    ack_status: Mapped[str | None] = mapped_column(String(200), nullable=True)  # sent | skipped:<why> | error:<kind>


class RegistryAccount(Base):
    """One customer account of the registry, with its last accepted reading per register."""

    __tablename__ = "registry_accounts"

    account_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    meter_id: Mapped[str] = mapped_column(String(40))
    zones: Mapped[int] = mapped_column(Integer)
    city: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(300))
    house: Mapped[str] = mapped_column(String(40))
    apartment: Mapped[str | None] = mapped_column(String(40), nullable=True)
    phones: Mapped[str] = mapped_column(String(500), default="")  # E.164 numbers joined by "|"
    last_readings: Mapped[dict[str, int]] = mapped_column(JSON)
    last_reading_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    avg_monthly_kwh: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StreetAliasRow(Base):
    """An old or Russian street/city name and today's official one."""

    __tablename__ = "street_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    city: Mapped[str | None] = mapped_column(String(200), nullable=True)
    old_name: Mapped[str] = mapped_column(String(300))
    new_name: Mapped[str] = mapped_column(String(300))


class PostedReading(Base):
    """A reading posted for billing: automatically or by a reviewer; one per account, date and value."""

    __tablename__ = "readings"
    __table_args__ = (
        UniqueConstraint("account_id", "fixation_date", "registers_key", name="uq_readings_value"),
        Index("ix_readings_posted_at", "posted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(10), index=True)
    registers: Mapped[dict[str, int]] = mapped_column(JSON)
    registers_key: Mapped[str] = mapped_column(String(200))  # "day=1;night=2", for the unique constraint
    fixation_date: Mapped[date] = mapped_column(Date)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), nullable=True)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str] = mapped_column(String(20))  # auto | reviewer
    reviewer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    resubmissions: Mapped[int] = mapped_column(Integer, default=0)


class ReviewItem(Base):
    """A message a person must look at, with every reason and candidate."""

    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|claimed|posted|rejected|not_a_reading
    reasons: Mapped[list[str]] = mapped_column(JSON)
    proposal: Mapped[dict[str, Any]] = mapped_column(JSON)  # what the worker extracted (account, readings, date)
    candidates: Mapped[dict[str, Any]] = mapped_column(JSON)  # every field candidate and candidate account
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class ExportRun(Base):
    """One export of posted readings for billing (``--new`` continues after the last one)."""

    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    since: Mapped[date | None] = mapped_column(Date, nullable=True)
    format: Mapped[str] = mapped_column(String(10))
    destination: Mapped[str] = mapped_column(String(1000))
    count: Mapped[int] = mapped_column(Integer)
    last_reading_id: Mapped[int] = mapped_column(Integer)


class MailboxState(Base):
    """Heartbeat of the worker polling a mailbox: when it last finished a pass, and who it is."""

    __tablename__ = "mailbox_state"

    mailbox: Mapped[str] = mapped_column(String(200), primary_key=True)
    worker: Mapped[str | None] = mapped_column(String(300), nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


from mailworker.db import review_models as review_models  # noqa: E402,F401 - the console's tables join Base.metadata
