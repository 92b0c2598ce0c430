"""Continuing reports: how many reports a case has had and the first one's name (TORP,
ORXN).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as table:
        table.add_column(sa.Column("report_times", sa.Integer, nullable=False, server_default="0"))
        table.add_column(sa.Column("first_report", sa.String(35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as table:
        table.drop_column("first_report")
        table.drop_column("report_times")
