"""Registry, street aliases, posted readings, review items and exports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables of the decision."""
    op.create_table(
        "registry_accounts",
        sa.Column("account_id", sa.String(10), primary_key=True),
        sa.Column("meter_id", sa.String(40), nullable=False),
        sa.Column("zones", sa.Integer(), nullable=False),
        sa.Column("city", sa.String(200), nullable=False),
        sa.Column("street", sa.String(300), nullable=False),
        sa.Column("house", sa.String(40), nullable=False),
        sa.Column("apartment", sa.String(40), nullable=True),
        sa.Column("phones", sa.String(500), nullable=False),
        sa.Column("last_readings", sa.JSON(), nullable=False),
        sa.Column("last_reading_date", sa.Date(), nullable=True),
        sa.Column("avg_monthly_kwh", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "street_aliases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("city", sa.String(200), nullable=True),
        sa.Column("old_name", sa.String(300), nullable=False),
        sa.Column("new_name", sa.String(300), nullable=False),
    )
    op.create_table(
        "readings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(10), nullable=False, index=True),
        sa.Column("registers", sa.JSON(), nullable=False),
        sa.Column("registers_key", sa.String(200), nullable=False),
        sa.Column("fixation_date", sa.Date(), nullable=False),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id"), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(20), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=True),
        sa.Column("resubmissions", sa.Integer(), nullable=False),
        sa.UniqueConstraint("account_id", "fixation_date", "registers_key", name="uq_readings_value"),
    )
    op.create_index("ix_readings_posted_at", "readings", ["posted_at"])
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id"), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("proposal", sa.JSON(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_review_status", "review_items", ["status", "created_at"])
    op.create_table(
        "exports",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("destination", sa.String(1000), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_reading_id", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    """Drop the tables of the decision."""
    for table in ("exports", "review_items", "readings", "street_aliases", "registry_accounts"):
        op.drop_table(table)
