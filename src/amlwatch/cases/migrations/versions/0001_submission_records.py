"""Submission records: daily counters, files, business keys, receipts.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_counters",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("counter", sa.String(8), primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "submission_files",
        sa.Column("name", sa.String(35), primary_key=True),
        sa.Column("family", sa.String(3), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("purpose", sa.String(24), nullable=False),
        sa.Column("run_date", sa.Date),
        sa.Column("answers", sa.String(64)),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("package", sa.String(35)),
        sa.Column("path", sa.Text),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("status_at", sa.DateTime, nullable=False),
        sa.Column("detail", sa.JSON),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "submission_keys",
        sa.Column("name", sa.String(35), sa.ForeignKey("submission_files.name"), nullable=False),
        sa.Column("customer", sa.String(32), nullable=False),
        sa.Column("day", sa.String(8), nullable=False),
        sa.Column("code", sa.String(4), nullable=False),
        sa.Column("txn_id", sa.String(256), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_submission_keys_name", "submission_keys", ["name"])
    op.create_table(
        "submission_receipts",
        sa.Column("receipt", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(35), nullable=False),
        sa.Column("result", sa.String(24), nullable=False),
        sa.Column("landed_at", sa.DateTime, nullable=False),
        sa.Column("detail", sa.JSON),
        sa.Column("read_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_submission_receipts_name", "submission_receipts", ["name"])


def downgrade() -> None:
    op.drop_table("submission_receipts")
    op.drop_table("submission_keys")
    op.drop_table("submission_files")
    op.drop_table("submission_counters")
