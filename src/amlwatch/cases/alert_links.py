"""Which alerts a case is made of (one per standard that hit its customer and window), and
the cases an alert of a customer may join."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import Connection, insert, select

from amlwatch.cases.repository import to_case
from amlwatch.cases.tables import case_alerts, cases
from amlwatch.models import Case


def cases_in_window(
    con: Connection, customer_ids: Collection[str], first: dt.date, last: dt.date
) -> list[Case]:
    """The customer cases (not group cases) of those customers whose window meets
    [first, last], oldest first."""
    rows = con.execute(
        select(cases)
        .where(
            cases.c.kind == "customer",
            cases.c.customer_id.in_(sorted(customer_ids)),
            cases.c.window_start <= last,
            cases.c.window_end >= first,
        )
        .order_by(cases.c.id)
    )
    return [to_case(r) for r in rows]


def link_alert(
    con: Connection, case_id: int, alert_id: str, code: str, name: str, version: int,
    day: dt.date,
) -> None:  # fmt: skip
    """Record that an alert is part of a case."""
    values = {"alert_id": alert_id, "case_id": case_id, "rule_code": code, "rule_name": name}
    con.execute(insert(case_alerts).values(**values, added_version=version, added_on=day))
