"""The ledger of messages and their raw bytes.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create raw_blobs and messages."""
    op.create_table(
        "raw_blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("mailbox", sa.String(200), nullable=False),
        sa.Column("folder", sa.String(1000), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("source_key", sa.String(1000), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("raw_blobs.sha256"), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("headers_only", sa.Boolean(), nullable=False),
        sa.Column("internaldate", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("duplicate_of", sa.Integer(), sa.ForeignKey("messages.id"), nullable=True),
        sa.Column("post_action_done", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("traceback", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("sender", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.UniqueConstraint("mailbox", "folder", "uidvalidity", "source_key", name="uq_messages_source"),
    )
    op.create_index("ix_messages_identity", "messages", ["message_id", "sha256"])
    op.create_index("ix_messages_status", "messages", ["status"])
    op.create_index("ix_messages_uid", "messages", ["mailbox", "folder", "uidvalidity", "uid"])


def downgrade() -> None:
    """Drop the ledger."""
    op.drop_table("messages")
    op.drop_table("raw_blobs")
