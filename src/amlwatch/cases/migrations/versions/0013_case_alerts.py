"""One case per customer and window (一客户一窗口一案件): the alerts a case is made of, one
per monitoring standard that hit, and the case's list of standards.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("standards", sa.JSON, nullable=True))
    links = op.create_table(
        "case_alerts",
        sa.Column("alert_id", sa.String(96), primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("rule_code", sa.String(32), nullable=False),
        sa.Column("rule_name", sa.String(128), nullable=False),
        sa.Column("added_version", sa.Integer, nullable=False),
        sa.Column("added_on", sa.Date, nullable=False),
    )
    op.create_index("ix_case_alerts_case_id", "case_alerts", ["case_id"])
    op.create_index("ix_case_alerts_rule_code", "case_alerts", ["rule_code"])
    # every case so far was one alert: it is its case's only link
    cases = sa.table(
        "cases",
        sa.column("id", sa.Integer),
        sa.column("alert_id", sa.String),
        sa.column("rule_code", sa.String),
        sa.column("rule_name", sa.String),
        sa.column("first_scan_date", sa.Date),
    )
    op.execute(
        links.insert().from_select(
            ["alert_id", "case_id", "rule_code", "rule_name", "added_version", "added_on"],
            sa.select(
                cases.c.alert_id,
                cases.c.id,
                cases.c.rule_code,
                cases.c.rule_name,
                sa.literal(1),
                cases.c.first_scan_date,
            ),
        )
    )


def downgrade() -> None:
    op.drop_index("ix_case_alerts_rule_code", "case_alerts")
    op.drop_index("ix_case_alerts_case_id", "case_alerts")
    op.drop_table("case_alerts")
    op.drop_column("cases", "standards")
