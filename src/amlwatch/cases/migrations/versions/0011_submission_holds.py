"""Records held back from a filing (待补正): the large-value records the validator refused,
with their business key, reasons and deadline, until a later file carries them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_holds",
        sa.Column("customer", sa.String(32), primary_key=True),
        sa.Column("day", sa.String(8), primary_key=True),
        sa.Column("code", sa.String(4), primary_key=True),
        sa.Column("txn_id", sa.String(256), primary_key=True),
        sa.Column("family", sa.String(3), nullable=False),
        sa.Column("run_date", sa.Date, nullable=False),
        sa.Column("due", sa.Date),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("held_at", sa.DateTime, nullable=False),
        sa.Column("checked_at", sa.DateTime, nullable=False),
        sa.Column("filed_in", sa.String(35)),
        sa.Column("filed_on", sa.Date),
        sa.Column("resolved_at", sa.DateTime),
    )
    op.create_index("ix_submission_holds_status", "submission_holds", ["status"])


def downgrade() -> None:
    op.drop_table("submission_holds")
