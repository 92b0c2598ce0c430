"""Glue between the nightly results and the review: tonight's alerts become cases, an
approved case becomes its suspicious report (tables and BSTR XML), receipts move cases on.

The web app and the CLI get their `Review` from here, so both use the same calendar, code
tables and settings.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amlwatch.cases import AlertEvidence, CaseStore, Intake, Review, SubmissionLedger, open_cases
from amlwatch.jobs import _today, case_store, institution, open_warehouse
from amlwatch.models import User
from amlwatch.reports import write_suspicious_tables
from amlwatch.rules import BusinessCalendar
from amlwatch.settings import Settings, get_settings
from amlwatch.submission.codes import CRIME_TYPE_NAMES
from amlwatch.submission.filing import file_suspicious
from amlwatch.submission.messages import SuspiciousCase, split_narrative, suspicious_new
from amlwatch.warehouse import patterns as sp_store
from amlwatch.warehouse import submission as sub_store


def review_for(store: CaseStore, settings: Settings | None = None) -> Review:
    """The review use cases over a store, with the business-day calendar and code tables."""
    settings = settings or get_settings()
    calendar = BusinessCalendar.load(settings.calendar_file)
    return Review(
        store,
        add_working_days=calendar.add_business_days,
        crime_types=CRIME_TYPE_NAMES,
        review_levels=settings.review_levels,
        session_timeout=dt.timedelta(minutes=settings.session_timeout_minutes),
        today=_today,
    )


@contextmanager
def open_review(db: Path | None = None, settings: Settings | None = None) -> Iterator[Review]:
    """The review over the case store the settings name, closed afterwards."""
    settings = settings or get_settings()
    store = case_store(db, settings)
    try:
        yield review_for(store, settings)
    finally:
        store.close()


def open_cases_of_run(
    run_date: dt.date, db: Path | None = None, rescanned: Sequence[dt.date] = ()
) -> Intake:
    """Open or update the cases of the alerts the run of `run_date` (and the later nights it
    re-scanned) opened or extended."""
    settings = get_settings()
    with open_warehouse(db, settings, read_only=True) as warehouse:
        alerts = sp_store.alerts_of_run(warehouse, [run_date, *rescanned])
        ids = [str(a["alert_id"]) for a in alerts]
        # one probe of the window for the evidence (the slow part at a large bank): the
        # report tables' shape is derived from the message's
        detail = sub_store.alerts_detail_rows(warehouse, ids)
        subjects = {
            str(c["customer_id"]): c
            for c in sub_store.customers_by_id(
                warehouse, sorted({str(a["customer_id"]) for a in alerts})
            )
        }
    # the load a row came from is bookkeeping, not evidence: a re-load of the same data
    # must give the same snapshot
    detail = [_without_load(r) for r in detail]
    evidence = [_evidence_row(r) for r in detail]
    subjects = {k: _without_load(v) for k, v in subjects.items()}
    by_alert_evidence = defaultdict(list)
    for row in evidence:
        by_alert_evidence[str(row["alert_id"])].append(row)
    by_alert_detail = defaultdict(list)
    for row in detail:
        by_alert_detail[str(row["alert_id"])].append(row)
    items = []
    for alert in alerts:
        alert_id = str(alert["alert_id"])
        stcb, aosp = split_narrative(str(alert["narrative"]))
        subject = subjects.get(str(alert["customer_id"]))
        items.append(
            AlertEvidence(
                alert=alert,
                subjects=[subject] if subject else [],
                evidence=by_alert_evidence[alert_id],
                detail=by_alert_detail[alert_id],
                stcb=stcb,
                aosp=aosp,
            )
        )
    store = case_store(db, settings)
    try:
        return open_cases(store, items, run_date)
    finally:
        store.close()


_EVIDENCE_COLUMNS = (
    "alert_id", "leg", "txn_id", "booked_at", "customer_id", "customer_name", "id_type",
    "id_number", "account_id", "account_type", "location", "tx_method", "channel", "purpose",
    "currency", "amount", "amount_cny", "counterparty_name", "counterparty_id_type",
    "counterparty_id_number", "counterparty_account_type", "counterparty_account",
    "counterparty_bank_name", "counterparty_bank_code", "counterparty_region",
)  # fmt: skip


def _evidence_row(detail: dict[str, Any]) -> dict[str, Any]:
    """An evidence transaction as the report tables show it (`alert_transaction_rows`)."""
    row = {name: detail.get(name) for name in _EVIDENCE_COLUMNS}
    row["branch_code"] = detail.get("report_branch")
    row["direction_code"] = "01" if detail.get("direction") == "in" else "02"
    return row


def _without_load(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("load_id", "business_date")}


@dataclass(frozen=True, slots=True)
class CaseReport:
    """What an approved case's report wrote."""

    name: str  # the BSTR message stem, as the ledger records it
    folder: Path
    files: list[Path]


def generate_case_report(
    review: Review, actor: User, case_id: int, reports_dir: Path | None = None
) -> CaseReport:
    """Write an approved case's suspicious report — the report tables (xlsx, csv) and the
    validated BSTR XML in its ZIP — from the evidence version it was approved on, and record
    the report on the case."""
    settings = get_settings()
    case, content = review.report_material(actor, case_id)
    alert = content["alert"]
    folder = Path(reports_dir or settings.reports_dir) / "cases" / f"case-{case.id}"
    tables = write_suspicious_tables(
        [{**alert, "status": "confirmed"}],
        content["evidence"],
        folder,
        case.approved_on or _today(),
    )
    who = institution(settings)
    data = suspicious_new(
        who,
        SuspiciousCase(
            stcb=case.stcb,
            aosp=case.aosp,
            monitoring_codes=(case.rule_code,),
            crime_types=case.crime_types,
            urgency=case.urgency,
        ),
        content["subjects"],
        content["detail"],
    )
    filing = file_suspicious(
        data,
        who,
        SubmissionLedger(review.store),
        folder / "submission",
        _today(),
        answers=case.alert_id,
    )
    written = [tables.workbook, tables.alerts_csv, tables.transactions_csv]
    written += [filing.folder / f"{stem}.XML" for stem in filing.files]
    written += [filing.folder / p for p in filing.packages]
    review.report_generated(actor, case.id, filing.files[0], [str(p.name) for p in written])
    return CaseReport(filing.files[0], folder, written)


def apply_receipts(db: Path | None = None) -> list[tuple[int, str]]:
    """Move submitted cases on by what the regulator's receipts said of their reports."""
    with open_review(db) as review:
        ledger = SubmissionLedger(review.store)
        statuses = {r.name: r.status for r in ledger.files() if r.family in ("NBS", "CBS")}
        return [(case_id, str(state)) for case_id, state in review.apply_receipts(statuses)]


def web_app(db: Path | None = None, settings: Settings | None = None) -> Any:
    """The review web app over the configured case store and reports folder."""
    from amlwatch.web import create_app

    settings = settings or get_settings()
    review = review_for(case_store(db, settings), settings)
    return create_app(
        review,
        Path(settings.reports_dir),
        lambda r, user, case_id: generate_case_report(r, user, case_id),
        secure_cookies=settings.web_secure_cookies,
    )
