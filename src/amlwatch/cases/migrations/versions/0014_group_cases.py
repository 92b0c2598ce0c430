"""Group cases (团伙): a case of one network structure, with its member customers and their
roles; every earlier case is one customer's.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "cases",
        sa.Column("kind", sa.String(8), nullable=False, server_default="customer"),
    )
    op.create_table(
        "case_members",
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("added_version", sa.Integer, nullable=False),
    )
    op.create_index("ix_case_members_customer_id", "case_members", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_case_members_customer_id", "case_members")
    op.drop_table("case_members")
    op.drop_column("cases", "kind")
