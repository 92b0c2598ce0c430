"""The upload register: who uploaded a regulator file and when.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submission_files") as table:
        table.add_column(sa.Column("uploaded_at", sa.DateTime, nullable=True))
        table.add_column(sa.Column("uploaded_by", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submission_files") as table:
        table.drop_column("uploaded_by")
        table.drop_column("uploaded_at")
