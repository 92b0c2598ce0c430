"""List screening (名单监测): screening cases with their events, and the actions a confirmed
hit took (customers frozen, counterparties blocked).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_cases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_ref", sa.String(128), nullable=False),
        sa.Column("subject_digest", sa.String(16), nullable=False),
        sa.Column("subject_name", sa.String(256), nullable=False),
        sa.Column("subject", sa.JSON, nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("customer_name", sa.String(256), nullable=False),
        sa.Column("branch_code", sa.String(32), nullable=False),
        sa.Column("txn_id", sa.String(96)),
        sa.Column("list_code", sa.String(32), nullable=False),
        sa.Column("list_version", sa.Integer, nullable=False),
        sa.Column("entry_ref", sa.String(64), nullable=False),
        sa.Column("entry_digest", sa.String(64), nullable=False),
        sa.Column("entry", sa.JSON, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("band", sa.String(8), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("first_found_on", sa.Date, nullable=False),
        sa.Column("last_found_on", sa.Date, nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("proposed_by", sa.String(64)),
        sa.Column("proposal", sa.Text),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("report_due", sa.Date),
        sa.Column("reported_on", sa.Date),
        sa.Column("report_note", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    for column in ("subject_ref", "customer_id", "branch_code", "state"):
        op.create_index(f"ix_screening_cases_{column}", "screening_cases", [column])
    op.create_table(
        "screening_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("screening_cases.id"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(24)),
        sa.Column("to_state", sa.String(24)),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_screening_events_case_id", "screening_events", ["case_id"])
    op.create_table(
        "screening_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("screening_cases.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("party_ref", sa.String(128), nullable=False),
        sa.Column("accounts", sa.JSON, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
    )
    op.create_index("ix_screening_actions_case_id", "screening_actions", ["case_id"])
    op.create_index("ix_screening_actions_customer_id", "screening_actions", ["customer_id"])


def downgrade() -> None:
    op.drop_table("screening_actions")
    op.drop_table("screening_events")
    op.drop_table("screening_cases")
