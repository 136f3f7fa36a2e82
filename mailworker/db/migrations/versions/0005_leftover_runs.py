"""How often a message left unfinished by a dead worker was taken up again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add messages.leftover_runs."""
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("leftover_runs", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Drop messages.leftover_runs."""
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("leftover_runs")
