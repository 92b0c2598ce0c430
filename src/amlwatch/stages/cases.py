"""The case stage: tonight's alerts become review cases, an approved case becomes its
suspicious report (tables and BSTR XML), the regulator's receipts move cases on."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amlwatch import wiring
from amlwatch.cases import AlertEvidence, Intake, Review, SubmissionLedger, open_cases
from amlwatch.models import CaseState, User
from amlwatch.reports import write_suspicious_tables
from amlwatch.reports.forms import write_form
from amlwatch.stages.evidence import evidence_row, without_load
from amlwatch.stages.filings import file_suspicious_case, sha256_of
from amlwatch.stages.group_cases import structure_items
from amlwatch.submission.dictionary import NA
from amlwatch.submission.messages import SuspiciousCase, split_narrative
from amlwatch.submission.printed_forms import suspicious_form
from amlwatch.submission.validate import check
from amlwatch.warehouse import patterns as wh_patterns
from amlwatch.warehouse import submission as wh_submission


def open_cases_of_run(
    run_date: dt.date, db: Path | None = None, rescanned: Sequence[dt.date] = ()
) -> Intake:
    """Open or update the cases of the alerts the run of `run_date` (and the later nights it
    re-scanned) opened or extended, and the group cases of the network structures the
    standards in force found those nights."""
    settings = wiring.settings()
    with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
        alerts = wh_patterns.alerts_of_run(warehouse, [run_date, *rescanned])
        ids = [str(a["alert_id"]) for a in alerts]
        # one probe of the window for the evidence (the slow part at a large bank): the
        # report tables' shape is derived from the message's
        detail = wh_submission.alerts_detail_rows(warehouse, ids)
        structures = structure_items(warehouse, [run_date, *rescanned])
        subjects = {
            str(c["customer_id"]): c
            for c in wh_submission.customers_by_id(
                warehouse, sorted({str(a["customer_id"]) for a in alerts})
            )
        }
    # the load a row came from is bookkeeping, not evidence: a re-load of the same data
    # must give the same snapshot
    detail = [without_load(r) for r in detail]
    evidence = [evidence_row(r) for r in detail]
    subjects = {k: without_load(v) for k, v in subjects.items()}
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
    store = wiring.case_store(db, settings)
    try:
        return open_cases(store, [*items, *structures], run_date)
    finally:
        store.close()


@dataclass(frozen=True, slots=True)
class CaseReport:
    """What an approved case's report wrote."""

    name: str  # the BSTR message stem, as the ledger records it
    folder: Path
    files: list[Path]


def generate_case_report(
    review: Review, actor: User, case_id: int, reports_dir: Path | None = None
) -> CaseReport:
    """Write an approved case's suspicious report — the validated BSTR XML in its ZIP, then
    the printed form (PDF and xlsx) read back from that very XML with the case's sign-off,
    and the CSV tables for machines — from the evidence version it was approved on, and
    record the report on the case."""
    settings = wiring.settings()
    case, content, signoff = review.report_material(actor, case_id)
    attachments = review.report_files(actor, case_id)
    folder = wiring.reports_folder(settings, reports_dir, "cases", f"case-{case.id}")
    # a continuing report (续报) counts the earlier rounds' reports and names the first (its
    # message name without extension, spec ch. 9 ORXN)
    times = case.report_times + (1 if case.state is CaseState.APPROVED else 0)
    reviewed = SuspiciousCase(
        stcb=case.stcb,
        aosp=case.aosp,
        monitoring_codes=case.codes,  # every standard that hit (STCR)
        crime_types=case.crime_types,
        urgency=case.urgency,
        direction=case.direction,
        times=max(times, 1),
        first_report=case.first_report if times > 1 and case.first_report else NA,
    )
    filing = file_suspicious_case(
        reviewed,
        content["subjects"],
        _each_once(content["detail"]),
        SubmissionLedger(review.store),
        folder / "submission",
        case.alert_id,
        settings,
        filer=signoff[0].name if signoff else "",
        attachments=attachments,
    )
    name = filing.files[0]
    xml = filing.folder / f"{name}.XML"
    signed = [(xml.name, sha256_of(xml))]
    if attachments:  # the package and each file in it, as the signature covers them
        signed.append(
            (f"{name}.ZIP（附件包，{len(attachments)} 个文件）", filing.attachment_sha256)
        )
        signed += [(f"附件 {n}", hashlib.sha256(d).hexdigest()) for n, d in attachments]
    form = suspicious_form(
        check(xml.read_bytes(), name),
        institution=f"{settings.institution_name}（{settings.institution_code}）",
        report_name=f"{name}.XML（{'、'.join(filing.packages)}）",
        period=f"{case.window_start:%Y-%m-%d} 至 {case.window_end:%Y-%m-%d}（案件 #{case.id}，"
        f"{'团伙案件，资金网络结构' if case.group else '预警'} {case.alert_id}）",
        report_date=case.approved_on or wiring.today(),
        signoff=signoff,
        standards=dict(case.standards),
        files=signed,
    )
    printed = write_form(form, folder, f"{name}_form")
    tables = write_suspicious_tables(
        [{**a, "status": "confirmed"} for a in content.get("alerts") or [content["alert"]]],
        content["evidence"],
        folder,
        case.approved_on or wiring.today(),
        workbook=False,
    )
    written = [printed.pdf, printed.workbook, tables.alerts_csv, tables.transactions_csv]
    written += [xml, *(filing.folder / p for p in filing.packages)]
    review.report_generated(actor, case.id, name, [str(p.name) for p in written])
    return CaseReport(name, folder, written)


def _each_once(detail: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The evidence transactions, each once (STIF): a transaction several standards of the
    case name is one transaction of the report."""
    seen: set[str] = set()
    out = []
    for row in detail:
        if str(row["txn_id"]) not in seen:
            seen.add(str(row["txn_id"]))
            out.append(row)
    return out


def apply_receipts(db: Path | None = None) -> list[tuple[int, str]]:
    """Move submitted cases on by what the regulator's receipts said of their reports."""
    with wiring.open_review(db) as review:
        ledger = SubmissionLedger(review.store)
        statuses = {r.name: r.status for r in ledger.files() if r.family in ("NBS", "CBS")}
        return [(case_id, str(state)) for case_id, state in review.apply_receipts(statuses)]
