"""Urgent reports (特别紧急): the reporting direction (DORP) and why the case is urgent.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as table:
        table.add_column(sa.Column("direction", sa.String(2), nullable=False, server_default="01"))
        table.add_column(sa.Column("urgent_reason", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as table:
        table.drop_column("urgent_reason")
        table.drop_column("direction")
