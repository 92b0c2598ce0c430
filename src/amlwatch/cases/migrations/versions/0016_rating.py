"""Customer risk rating (客户洗钱风险等级): the levels given (never overwritten), the rating
reviews and their events.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_ratings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("customer_name", sa.String(256), nullable=False),
        sa.Column("branch_code", sa.String(32), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("computed_level", sa.String(8), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("factors", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("rated_on", sa.Date, nullable=False),
        sa.Column("confirmed_by", sa.String(64), nullable=False),
        sa.Column("review_id", sa.Integer),
        sa.Column("next_review_on", sa.Date, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_customer_ratings_customer_id", "customer_ratings", ["customer_id"])
    op.create_table(
        "rating_reviews",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("customer_name", sa.String(256), nullable=False),
        sa.Column("branch_code", sa.String(32), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("trigger_detail", sa.Text, nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("current_level", sa.String(8)),
        sa.Column("computed_level", sa.String(8), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("factors", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("proposed_level", sa.String(8)),
        sa.Column("proposed_by", sa.String(64)),
        sa.Column("proposal", sa.Text),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    for column in ("customer_id", "branch_code", "state"):
        op.create_index(f"ix_rating_reviews_{column}", "rating_reviews", [column])
    op.create_table(
        "rating_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("review_id", sa.Integer, sa.ForeignKey("rating_reviews.id"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(16)),
        sa.Column("to_state", sa.String(16)),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_rating_events_review_id", "rating_events", ["review_id"])


def downgrade() -> None:
    op.drop_table("rating_events")
    op.drop_table("rating_reviews")
    op.drop_table("customer_ratings")
