"""Working a case: its assignee, its dated notes and attached files, and the hashed keys
(the subject's and the counterparties' ID and account numbers) that find a case by number and
link the cases sharing a counterparty — without a clear number in any index. And a data
package's name (39 characters with its ".ZIP") fits `submission_files.package` on PostgreSQL,
which enforces the length SQLite ignores.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("assignee", sa.String(64), nullable=True))
    op.create_index("ix_cases_assignee", "cases", ["assignee"])
    keys = op.create_table(
        "case_keys",
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("shown", sa.String(64), nullable=False),
    )
    op.create_index("ix_case_keys_key", "case_keys", ["key"])
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "submission_files", "package", type_=sa.String(40), existing_type=sa.String(35)
        )
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("file_name", sa.String(200)),
        sa.Column("file_type", sa.String(16)),
        sa.Column("file_size", sa.Integer),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column("file_data", sa.LargeBinary),
        sa.Column("for_report", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("report_round", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_case_notes_case_id", "case_notes", ["case_id"])
    _index_existing_cases(keys)


def _index_existing_cases(keys: sa.Table) -> None:
    """The keys of the cases already in the store, from their latest evidence version (the
    rule is `cases.keys.case_keys`, written out here so the migration never changes)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT s.case_id, s.content FROM case_snapshots s JOIN cases c "
            "ON c.id = s.case_id AND c.snapshot_version = s.version"
        )
    ).all()
    for case_id, content in rows:
        found = _keys(json.loads(content) if isinstance(content, str) else content)
        if found:
            op.bulk_insert(
                keys,
                [{"case_id": case_id, "kind": k, "key": h, "shown": s} for k, h, s in found],
            )


def _keys(content: dict) -> set[tuple[str, str, str]]:
    pairs = [("id", s.get("id_number")) for s in content.get("subjects") or []]
    for row in content.get("detail") or []:
        pairs += [
            ("account", row.get("account_id")),
            ("cp_id", row.get("counterparty_id_number")),
            ("cp_acct", row.get("counterparty_account")),
        ]
    found = set()
    for kind, value in pairs:
        text = "".join(str(value or "").split()).upper()
        if len(text) >= 4:
            digest = hashlib.sha256(text.encode()).hexdigest()
            found.add((kind, digest, f"****{text[-4:]}"))
    return found


def downgrade() -> None:
    op.drop_index("ix_case_notes_case_id", "case_notes")
    op.drop_table("case_notes")
    op.drop_index("ix_case_keys_key", "case_keys")
    op.drop_table("case_keys")
    op.drop_index("ix_cases_assignee", "cases")
    op.drop_column("cases", "assignee")
