"""Filings: the regulator's files of a night or a case, and the answers to its receipts and
notices. Every file is validated before it is written and recorded in the submission ledger.

`file_suspicious_case` is the one builder of a suspicious report (BSTR): the CLI's report of
an alert and an approved case's report both go through it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from amlwatch import wiring
from amlwatch.cases import SubmissionLedger
from amlwatch.models import Filing
from amlwatch.settings import Settings
from amlwatch.submission import receipts
from amlwatch.submission.dictionary import NA
from amlwatch.submission.exceptions import SubmissionError
from amlwatch.submission.filing import (
    file_large_value,
    file_large_value_correction,
    file_suspicious,
)
from amlwatch.submission.messages import (
    SuspiciousCase,
    split_narrative,
    supplement_case,
    suspicious_new,
)
from amlwatch.submission.names import MessageName
from amlwatch.submission.receipts import Action, ReceiptReading
from amlwatch.submission.validate import check
from amlwatch.warehouse import large_value as wh_large_value
from amlwatch.warehouse import submission as wh_submission


def file_suspicious_case(
    case: SuspiciousCase,
    subjects: Sequence[dict[str, Any]],
    transactions: Sequence[dict[str, Any]],
    ledger: SubmissionLedger,
    folder: Path,
    answers: str,
    settings: Settings | None = None,
) -> Filing:
    """Write the suspicious report (BSTR) of one case — its narrative, standards, crime
    types and urgency, its subjects and evidence transactions — validated, numbered and
    recorded in the ledger as answering `answers` (the alert id)."""
    who = wiring.institution(settings)
    data = suspicious_new(who, case, subjects, transactions)
    return file_suspicious(data, who, ledger, folder, wiring.today(), answers=answers)


def write_large_value_submission(
    run_date: dt.date,
    db: Path | None = None,
    reports_dir: Path | None = None,
    today: dt.date | None = None,
) -> Filing:
    """Write the run date's large-value submission (validated XML in ZIP packages) to
    `reports/<run_date>/submission/` and record every file in the case store."""
    settings = wiring.settings()
    with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
        dates = wh_large_value.trade_dates_loaded(warehouse, run_date)
        rows = wh_large_value.large_value_submission_rows(warehouse, dates)
    with wiring.open_ledger(db, settings) as ledger:
        folder = wiring.reports_folder(settings, reports_dir, run_date.isoformat(), "submission")
        day = today or wiring.today()
        who = wiring.institution(settings)
        filing = file_large_value(rows, dates, who, ledger, folder, run_date, day)
        filing.actions = [f"{a.name} [{a.status}]: {a.what}" for a in receipts.actions(ledger, day)]
        return filing


def read_receipts(
    folder: Path, db: Path | None = None, today: dt.date | None = None
) -> tuple[ReceiptReading, list[Action]]:
    """Read the regulator's receipts in `folder` into the case store; the open actions."""
    with wiring.open_ledger(db) as ledger:
        return receipts.read_receipts(folder, ledger), receipts.actions(
            ledger, today or wiring.today()
        )


def correct_from_receipt(
    name: str, db: Path | None = None, reports_dir: Path | None = None
) -> Filing:
    """Answer a system correction request (补正回执) on a large-value message: a correction
    message with that message's date and number, of the records the receipt lists (all of the
    message's records when it lists none), as the warehouse holds them now."""
    settings = wiring.settings()
    with wiring.open_ledger(db, settings) as ledger:
        record = ledger.file(name)
        if record is None or record.status != "correction requested":
            raise SubmissionError(f"{name}: no system correction request recorded for it")
        listed = [
            (r["customer"], r["day"], r["code"], r["txn_id"])
            for r in (record.detail or {}).get("records", [])
        ]
        wanted = listed or ledger.keys_of(name)
        with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
            rows = wh_submission.large_value_rows_for_keys(warehouse, wanted)
        _require_all(wanted, rows)
        day = wiring.today()
        return file_large_value_correction(
            rows,
            wiring.institution(settings),
            ledger,
            wiring.reports_folder(settings, reports_dir, "corrections", f"{day}"),
            day,
            replaces=MessageName.parse(name),
            answers=name,
        )


def _require_all(wanted: Sequence[tuple[str, str, str, str]], rows: Sequence[dict]) -> None:
    found = {
        (
            str(r["customer_id"]),
            f"{r['trade_date']:%Y%m%d}",
            str(r["characteristic_code"]),
            str(r["txn_id"]),
        )
        for r in rows
    }
    missing = [k for k in wanted if tuple(k) not in found]
    if missing:
        raise SubmissionError(
            f"{len(missing)} record(s) are no longer large-value hits in the warehouse "
            f"(first: {'+'.join(missing[0])}); delete them instead of correcting"
        )


def answer_notice(path: Path, db: Path | None = None, reports_dir: Path | None = None) -> Filing:
    """Answer a manual-correction notice (spec §7.3): a large-value correction (A+BH), a
    suspicious report correction with the original's name (A+BS), or a new suspicious report
    of every transaction the supplement condition names (S+BT)."""
    settings = wiring.settings()
    notice = receipts.parse_notice(path)
    stem = notice.name.stem
    day = wiring.today()
    with wiring.open_ledger(db, settings) as ledger:
        folder = wiring.reports_folder(settings, reports_dir, "notices", stem)
        who = wiring.institution(settings)
        if notice.name.kind == "A" and notice.name.report == "BH":
            wanted = [(r["customer"], r["day"], r["code"], r["txn_id"]) for r in notice.records]
            with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
                rows = wh_submission.large_value_rows_for_keys(warehouse, wanted)
            _require_all(wanted, rows)
            return file_large_value_correction(
                rows, who, ledger, folder, day, notice=stem, answers=stem
            )
        if notice.name.kind == "A":
            original = ledger.file(str(notice.original_report))
            if original is None or original.path is None:
                raise SubmissionError(f"{stem}: original report {notice.original_report} unknown")
            data = check(Path(original.path).read_bytes(), original.name)
            data["RBIF"]["MIRS"] = stem
            return file_suspicious(
                data,
                who,
                ledger,
                folder,
                day,
                purpose="notice answer",
                replaces=MessageName.parse(original.name),
                answers=stem,
            )
        condition = {k: (None if v in (None, "", NA) else v) for k, v in notice.supplement.items()}
        with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
            subjects, txns = wh_submission.supplement_rows(
                warehouse,
                dt.datetime.strptime(str(condition["BGDT"]), "%Y%m%d").date(),
                dt.datetime.strptime(str(condition["EDDT"]), "%Y%m%d").date(),
                condition.get("CITP"),
                condition.get("CTID"),
                condition.get("CTAC"),
            )
        if not subjects:
            raise SubmissionError(f"{stem}: no customer or account matches the condition")
        data = suspicious_new(who, supplement_case(stem), subjects[:1], txns)
        return file_suspicious(data, who, ledger, folder, day, purpose="supplement", answers=stem)


def write_suspicious_submission(
    alert_id: str,
    db: Path | None = None,
    reports_dir: Path | None = None,
    crime_types: Sequence[str] = ("1402",),
    urgency: str = "01",
) -> Filing:
    """A suspicious report (BSTR) of one alert: its subject, its evidence, its draft narrative
    (STCB / AOSP) and its monitoring standard (STCR). Until the review workflow confirms
    cases, the alert stands in for the confirmed case."""
    settings = wiring.settings()
    with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
        alert, txns = wh_submission.alert_submission_rows(warehouse, alert_id)
        if alert is None:
            raise SubmissionError(f"no alert {alert_id}")
        subjects = wh_submission.customers_by_id(warehouse, [alert["customer_id"]])
    stcb, aosp = split_narrative(str(alert["narrative"]))
    case = SuspiciousCase(
        stcb=stcb,
        aosp=aosp,
        monitoring_codes=(str(alert["rule_code"]),),
        crime_types=tuple(crime_types),
        urgency=urgency,
    )
    with wiring.open_ledger(db, settings) as ledger:
        folder = wiring.reports_folder(settings, reports_dir, "suspicious", alert_id)
        return file_suspicious_case(case, subjects, txns, ledger, folder, alert_id, settings)
