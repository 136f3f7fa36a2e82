"""Heartbeat per mailbox for `mailworker health`; acknowledgement status per message.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create mailbox_state."""
    op.create_table(
        "mailbox_state",
        sa.Column("mailbox", sa.String(200), primary_key=True),
        sa.Column("worker", sa.String(300), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("ack_status", sa.String(200), nullable=True))


def downgrade() -> None:
    """Drop mailbox_state and the acknowledgement column."""
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("ack_status")
    op.drop_table("mailbox_state")
