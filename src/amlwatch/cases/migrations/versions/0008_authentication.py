"""Authentication hardening: a password an administrator reset must be changed at the next
login (and the user is told by whom and when); failed logins throttled per account and client
address instead of locking the account for everyone.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("users", sa.Column("password_reset_by", sa.String(64), nullable=True))
    op.add_column("users", sa.Column("password_reset_at", sa.DateTime, nullable=True))
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locks", sa.Integer, nullable=False),
        sa.Column("last_at", sa.DateTime, nullable=False),
        sa.Column("locked_until", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    for column in ("password_reset_at", "password_reset_by", "must_change_password"):
        op.drop_column("users", column)
