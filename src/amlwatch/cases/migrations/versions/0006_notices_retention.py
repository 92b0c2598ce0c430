"""Notices tracked to their deadline (TMLM); retention: the audit chain's anchor after a
purge (the last entry removed: the chain is checked from it) and the gate that lets the
append-only tables lose rows older than the policy, and only those.

The audit log and the evidence snapshots still refuse every UPDATE; a DELETE now passes only
for a row older than the `before` of an open gate row of its table, which the retention purge
writes and removes inside its own transaction (no gate: no DELETE, as before).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_GUARDED = {"audit_log": "at", "case_snapshots": "taken_at"}  # table: its row's time
_SQLITE_UP = [
    statement
    for table, when in _GUARDED.items()
    for statement in (
        f"DROP TRIGGER {table}_no_delete",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            WHEN NOT EXISTS (SELECT 1 FROM retention_gate g
                             WHERE g.table_name = '{table}' AND OLD.{when} < g.before)
            BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
    )
]
_SQLITE_DOWN = [
    statement
    for table in _GUARDED
    for statement in (
        f"DROP TRIGGER {table}_no_delete",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
    )
]
_POSTGRES_UP = [
    statement
    for table, when in _GUARDED.items()
    for statement in (
        f"DROP TRIGGER {table}_append_only ON {table}",
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table}
            FOR EACH ROW EXECUTE FUNCTION amlwatch_append_only()""",
        f"""CREATE FUNCTION amlwatch_{table}_retention() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF EXISTS (SELECT 1 FROM retention_gate g
                        WHERE g.table_name = '{table}' AND OLD.{when} < g.before) THEN
               RETURN OLD;
             END IF;
             RAISE EXCEPTION '{table} is append-only';
           END $$""",
        f"""CREATE TRIGGER {table}_retention BEFORE DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION amlwatch_{table}_retention()""",
    )
]
_POSTGRES_DOWN = [
    statement
    for table in _GUARDED
    for statement in (
        f"DROP TRIGGER {table}_retention ON {table}",
        f"DROP FUNCTION amlwatch_{table}_retention()",
        f"DROP TRIGGER {table}_append_only ON {table}",
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION amlwatch_append_only()""",
    )
]


def upgrade() -> None:
    op.create_table(
        "submission_notices",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(1), nullable=False),
        sa.Column("report", sa.String(2), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("deadline", sa.Date),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("path", sa.Text),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("answered_by", sa.String(35)),
        sa.Column("answered_at", sa.DateTime),
    )
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("purged_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "retention_gate",
        sa.Column("table_name", sa.String(32), primary_key=True),
        sa.Column("before", sa.DateTime, nullable=False),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES_UP if postgres else _SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES_DOWN if postgres else _SQLITE_DOWN:
        op.execute(statement)
    op.drop_table("retention_gate")
    op.drop_table("audit_anchor")
    op.drop_table("submission_notices")
