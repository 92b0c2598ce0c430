"""Monitoring standards' versions (交易监测标准的版本): a change a person proposes — status,
parameters, window, owner — with the replay over history beside it, and the four-eyes
decision that puts it in force.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "standard_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("version", sa.String(16), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("replay", sa.JSON, nullable=False),
        sa.Column("base_pack", sa.String(96), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("proposed_by", sa.String(64), nullable=False),
        sa.Column("proposed_at", sa.DateTime, nullable=False),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("decision_note", sa.Text),
    )
    op.create_index("ix_standard_versions_code", "standard_versions", ["code"])
    op.create_index("ix_standard_versions_state", "standard_versions", ["state"])


def downgrade() -> None:
    op.drop_table("standard_versions")
