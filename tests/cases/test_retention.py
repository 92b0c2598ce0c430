"""Retention in the case store, on SQLite and PostgreSQL: finished cases and the audit log
older than the cutoff go in one transaction, open cases are held, and the append-only tables
lose rows only through the purge's gate and only rows older than its cutoff."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import DBAPIError

from amlwatch.cases import CaseStore, Review, open_cases
from amlwatch.cases import retention as case_retention
from amlwatch.cases.audit import append, entries, verify
from amlwatch.cases.tables import audit_log, case_events, case_snapshots, cases, retention_gate
from amlwatch.models import User
from tests.cases.factory import alert_evidence

NIGHT = dt.date(2026, 9, 29)
TOMORROW = dt.date.today() + dt.timedelta(days=1)  # everything made now is older than this


def test_the_gate_lets_only_rows_older_than_its_cutoff_go(store: CaseStore) -> None:
    with store.write() as con:
        for i in range(3):
            append(con, "liaison1", "case viewed", f"case:{i}")
    for before in (dt.datetime(2020, 1, 1), None):  # a gate older than the rows; no gate
        with pytest.raises(DBAPIError), store.write() as con:
            if before is not None:
                con.execute(insert(retention_gate).values(table_name="audit_log", before=before))
            con.execute(delete(audit_log).where(audit_log.c.seq == 1))
    with pytest.raises(DBAPIError), store.write() as con:  # a gate of another table
        con.execute(
            insert(retention_gate).values(table_name="case_snapshots", before=dt.datetime.now())
        )
        con.execute(delete(audit_log).where(audit_log.c.seq == 1))
    with store.read() as con:
        assert con.execute(select(func.count()).select_from(audit_log)).scalar_one() == 3


def test_finished_cases_and_old_audit_entries_go_and_open_cases_are_held(
    store: CaseStore, review: Review, people: dict[str, User]
) -> None:
    alerts = [f"AMLW-SP-0101-20260929-aaaa000{i}" for i in (1, 2)]
    items = [alert_evidence(a, customer=f"C00000{n}") for n, a in enumerate(alerts, 1)]
    intake = open_cases(store, items, NIGHT)
    dismissed, under_review = intake.opened
    review.start_review(people["liaison1"], dismissed)
    review.dismiss(people["liaison1"], dismissed, "R01", "经核实为正常经营收付款项")
    review.confirm_dismissal(people["approver1"], dismissed)
    review.start_review(people["liaison1"], under_review)
    audited = verify(store).entries

    planned = case_retention.plan(store, TOMORROW)
    assert planned.case_ids == [dismissed]
    assert planned.held == {"open case (未结案件)": [f"case #{under_review}"]}
    assert planned.kept_alerts == [alerts[1]] and planned.open_alerts == [alerts[1]]
    assert planned.audit_entries == audited

    done = case_retention.purge(store, TOMORROW, "retention-test")
    assert done.case_ids == [dismissed]
    with store.read() as con:
        assert con.execute(select(cases.c.id)).scalars().all() == [under_review]
        for table in (case_events, case_snapshots):
            left = con.execute(select(table.c.case_id).distinct()).scalars().all()
            assert left == [under_review]
        assert con.execute(select(func.count()).select_from(retention_gate)).scalar_one() == 0
    # the chain holds from its anchor, with the purge's own entry and every one after it
    # (the case and the users kept are sealed again: their seals were among the entries gone)
    entry, *resealed = entries(store)
    kept_events = 3  # opened, assigned (round-robin), review started
    assert Counter(e.action for e in resealed) == {
        "case sealed": kept_events,
        "user sealed": len(people),
    }
    assert entry.action == "retention purge" and entry.detail["removed"]["cases"] == 1
    assert entry.detail["removed"]["audit_log"] == audited
    assert entry.detail["case_ids"] == [dismissed] and resealed[-1].seq == audited + 1
    with store.write() as con:
        append(con, "liaison1", "case viewed", f"case:{under_review}")
    check = verify(store)
    assert check.ok and check.entries == len(resealed) + 2, check
    # nothing left to purge; and a case reviewed again is held until it is finished
    assert case_retention.plan(store, TOMORROW).case_ids == []


def test_a_purge_that_fails_leaves_the_case_store_whole(
    store: CaseStore, review: Review, people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    [case_id] = open_cases(store, [alert_evidence("AMLW-SP-0101-20260929-aaaa0001")], NIGHT).opened
    review.start_review(people["liaison1"], case_id)
    review.dismiss(people["liaison1"], case_id, "R01", "经核实为正常经营收付款项")
    review.confirm_dismissal(people["approver1"], case_id)
    audited = verify(store).entries

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store full")

    monkeypatch.setattr(case_retention, "audit", broken)  # the last step of the transaction
    with pytest.raises(RuntimeError, match="audit store full"):
        case_retention.purge(store, TOMORROW, "retention-test")
    with store.read() as con:
        assert con.execute(select(cases.c.id)).scalars().all() == [case_id]
    assert verify(store).ok and verify(store).entries == audited
