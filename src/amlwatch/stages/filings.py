"""Filings: the regulator's files of a night or a case, and the answers to its receipts and
notices. Every file is validated before it is written and recorded in the submission ledger.

`file_suspicious_case` is the one builder of a suspicious report (BSTR): the CLI's report of
an alert and an approved case's report both go through it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from amlwatch import wiring
from amlwatch.cases import HoldRegister, SubmissionLedger
from amlwatch.models import REPORT_DUE_WORKING_DAYS, Filing
from amlwatch.printed import PrintedForm, SignLine
from amlwatch.reports.forms import write_form
from amlwatch.settings import Settings
from amlwatch.stages.uploads import open_actions
from amlwatch.submission import receipts
from amlwatch.submission.dictionary import NA
from amlwatch.submission.exceptions import InvalidMessage, SubmissionError
from amlwatch.submission.filing import (
    business_key,
    file_large_value,
    file_large_value_correction,
    file_suspicious,
)
from amlwatch.submission.messages import (
    SuspiciousCase,
    large_value_new,
    split_narrative,
    supplement_case,
    suspicious_new,
)
from amlwatch.submission.names import MessageName
from amlwatch.submission.package import write_file
from amlwatch.submission.printed_forms import large_value_form, suspicious_form
from amlwatch.submission.receipts import Action, ReceiptReading
from amlwatch.submission.structure import BSTR, to_xml
from amlwatch.submission.validate import check, validate
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
    filer: str = "",
    attachments: Sequence[tuple[str, bytes]] = (),
) -> Filing:
    """Write the suspicious report (BSTR) of one case — its narrative, standards, crime
    types and urgency, its subjects and evidence transactions, its filer (RPNM: the liaison
    who proposed it, else the settings'), its files (the attachment package) — validated,
    numbered and recorded in the ledger as answering `answers` (the alert id)."""
    who = wiring.institution(settings)
    if filer:
        who = replace(who, filer=filer[:16])
    data = suspicious_new(who, case, subjects, transactions)
    day = wiring.today()
    return file_suspicious(data, who, ledger, folder, day, answers=answers, attachments=attachments)


def sha256_of(path: Path) -> str:
    """A file's SHA-256, as the printed forms list it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_large_value_submission(
    run_date: dt.date,
    db: Path | None = None,
    reports_dir: Path | None = None,
    today: dt.date | None = None,
) -> Filing:
    """Write the run date's large-value submission (validated XML in ZIP packages) to
    `reports/<run_date>/submission/` and record every file in the case store.

    A record the validator refuses is held (待补正) with its reason and deadline, never the
    whole file; records held on earlier nights go out as soon as their data passes (补报)."""
    settings = wiring.settings()
    days = wiring.calendar(settings)
    with wiring.open_ledger(db, settings) as ledger:
        waiting = HoldRegister(ledger.store).to_retry(run_date)
        with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
            dates = wh_large_value.trade_dates_loaded(warehouse, run_date)
            rows = wh_large_value.large_value_submission_rows(warehouse, dates)
            retry = wh_submission.large_value_rows_for_keys(warehouse, waiting) if waiting else []
        folder = wiring.reports_folder(settings, reports_dir, run_date.isoformat(), "submission")
        day = today or wiring.today()
        who = wiring.institution(settings)
        filing = file_large_value(
            rows,
            dates,
            who,
            ledger,
            folder,
            run_date,
            day,
            retry=retry,
            due=lambda row: days.add_business_days(row["trade_date"], REPORT_DUE_WORKING_DAYS),
        )
        filing.actions = [
            f"{a.name} [{a.status}]: {a.what}"
            + (f" — due {a.due}" if a.due else "")
            + (" (overdue 逾期)" if a.overdue else "")
            for a in open_actions(ledger, day, settings, db)
        ]
    form = large_value_night_form(
        _filed_rows(rows, retry, filing), dates, filing, run_date, settings
    )
    write_form(form, folder.parent, f"large_value_form_{run_date:%Y%m%d}")
    return filing


def _filed_rows(
    rows: Sequence[dict[str, Any]], retry: Sequence[dict[str, Any]], filing: Filing
) -> list[dict[str, Any]]:
    """The records the printed form lists: tonight's trade dates' records less those held,
    and the records held on earlier nights that tonight's file carries."""
    held = set(filing.held_keys)
    tonight = {business_key(r) for r in rows}
    out = [r for r in rows if business_key(r) not in held]
    out += [r for r in retry if business_key(r) not in held | tonight]
    return sorted(out, key=lambda r: (str(r["customer_id"]), r["trade_date"],
                                      str(r["characteristic_code"]), r["booked_at"]))  # fmt: skip


def large_value_night_form(
    rows: Sequence[dict[str, Any]],
    dates: Sequence[dt.date],
    filing: Filing,
    run_date: dt.date,
    settings: Settings,
) -> PrintedForm:
    """The printed 人民币大额交易数据报告 of a night: every record the regulator holds for its
    trade dates after tonight's files, from the same builder as the XML (an empty night's
    form says there was nothing to report, for the liaison to sign all the same). Records
    held back (待补正) are named in its notes, never listed as filed; records held on an
    earlier night that tonight's file carries (补报) are listed with their own dates."""
    days = wiring.calendar(settings)
    dates = sorted(set(dates) | {r["trade_date"] for r in rows})
    dues = [days.add_business_days(d, REPORT_DUE_WORKING_DAYS) for d in dates]
    due = "；".join(
        f"{d:%Y-%m-%d} → {end:%Y-%m-%d}" + ("（暂定）" if days.is_provisional(end) else "")
        for d, end in zip(dates, dues, strict=True)
    )
    filed = "、".join(f"{stem}.XML" for stem in filing.files) or "本次无新报文（已报送内容未变）"
    xmls = [filing.folder / f"{stem}.XML" for stem in filing.files]
    who = wiring.institution(settings)
    form = large_value_form(
        large_value_new(who, rows),
        institution=f"{settings.institution_name}（{settings.institution_code}）",
        outlet=who.reporting_branch,
        reference=f"运行日 {run_date:%Y-%m-%d}：{filed}",
        period="、".join(f"{d:%Y-%m-%d}" for d in dates) or f"{run_date:%Y-%m-%d}（无交易日数据）",
        report_date=run_date,
        due=due,
        files=[(p.name, sha256_of(p)) for p in xmls],
    )
    if not rows:
        form.notes.insert(0, "本期无符合大额交易报告标准的交易。")
    if filing.refiled_records:
        form.notes.append(
            f"本次补报此前待补正的记录 {filing.refiled_records} 条（业务主键不变，原报送期限见报送登记簿）。"
        )
    if filing.held:
        shown = filing.held[:HELD_LISTED_ON_FORM]
        more = len(filing.held) - len(shown)
        form.notes.append(
            f"另有 {len(filing.held)} 条记录未通过报文校验，暂缓报送（待补正），数据补正后随后续报文补报："
            + "；".join(shown)
            + (f"；等共 {len(filing.held)} 条（详见 amlwatch submissions held）" if more else "")
        )
    return form


HELD_LISTED_ON_FORM = 20


def read_receipts(
    folder: Path, db: Path | None = None, today: dt.date | None = None
) -> tuple[ReceiptReading, list[Action]]:
    """Read the regulator's receipts in `folder` into the case store; the open actions."""
    with wiring.open_ledger(db) as ledger:
        return receipts.read_receipts(folder, ledger), open_actions(
            ledger, today or wiring.today(), db=db
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
    with wiring.open_ledger(db, settings) as ledger:
        receipts.record_notice(notice, path, ledger)  # tracked from now, if read for the first time
        filing = _answer(notice, ledger, settings, db, reports_dir)
        receipts.notice_answered(ledger, notice.name.stem, filing.files[0])
        return filing


def _answer(
    notice: receipts.Notice,
    ledger: SubmissionLedger,
    settings: Settings,
    db: Path | None,
    reports_dir: Path | None,
) -> Filing:
    stem = notice.name.stem
    day = wiring.today()
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


@dataclass(frozen=True, slots=True)
class DraftReport:
    """A suspicious report draft of an alert: for reading, never for upload."""

    alert_id: str
    folder: Path
    files: list[Path]


DRAFT_PREFIX = "草稿-不得报送-DRAFT"
# what a draft may still lack: a person's narrative and a filer (the validator's draft rules)
_DRAFT_RULES = ("BSTR/RBIF/RPNM", "BSTR/RBIF/STCB", "BSTR/RBIF/AOSP")


def write_suspicious_draft(
    alert_id: str,
    db: Path | None = None,
    reports_dir: Path | None = None,
    crime_types: Sequence[str] = ("1402",),
    urgency: str = "01",
) -> DraftReport:
    """The draft suspicious report of one alert — its subject, its evidence, the system's
    draft narrative — as XML and printed form, both marked 草稿 and named so that no upload
    takes them: no message number is taken and the ledger records nothing. A report is filed
    only from an approved case (`amlwatch.stages.cases.generate_case_report`)."""
    settings = wiring.settings()
    with wiring.open_review(db, settings) as review:
        case = review.case_of_alert(alert_id)
    if case is not None and case.report_name:
        raise SubmissionError(
            f"预警 {alert_id} 的案件 #{case.id} 已生成报告 {case.report_name}：请报送该报告 / "
            "the case's report is the one to file"
        )
    with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
        alert, txns = wh_submission.alert_submission_rows(warehouse, alert_id)
        if alert is None:
            raise SubmissionError(f"no alert {alert_id}")
        subjects = wh_submission.customers_by_id(warehouse, [alert["customer_id"]])
    stcb, aosp = split_narrative(str(alert["narrative"]))
    draft = SuspiciousCase(
        stcb=stcb,
        aosp=aosp,
        monitoring_codes=(str(alert["rule_code"]),),
        crime_types=tuple(crime_types),
        urgency=urgency,
    )
    who = wiring.institution(settings)
    data = suspicious_new(who, draft, subjects, txns)
    xml = to_xml(BSTR, data)
    _, _, problems = validate(xml)
    problems = [p for p in problems if not p.location.startswith(_DRAFT_RULES)]
    if problems:
        raise InvalidMessage(f"draft of {alert_id}", problems)
    folder = wiring.reports_folder(settings, reports_dir, "drafts", alert_id)
    stem = f"{DRAFT_PREFIX}-{alert_id}"
    path = folder / f"{stem}.XML"
    write_file(path, xml)
    form = suspicious_form(
        data,
        institution=f"{settings.institution_name}（{settings.institution_code}）",
        report_name=f"{path.name}（草稿，不得报送）",
        period=f"{alert['window_start']:%Y-%m-%d} 至 {alert['window_end']:%Y-%m-%d}（预警 "
        f"{alert_id}）",
        report_date=wiring.today(),
        signoff=[SignLine("填报人"), SignLine("复核人"), SignLine("审批人")],
        standards={str(alert["rule_code"]): str(alert.get("rule_name") or "")},
        draft=True,
        files=[(path.name, sha256_of(path))],
    )
    printed = write_form(form, folder, stem)
    return DraftReport(alert_id, folder, [path, printed.pdf, printed.workbook])
