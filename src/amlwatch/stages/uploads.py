"""The upload register: which regulator files still have to be uploaded and by when, who
uploaded which, and the open actions of every file with its deadline.

A file is `written` → `uploaded` (who, when; audited) → `accepted` / `correction requested`
/ `error` / `receipt mismatch` (the receipts). Once uploaded it is moved from the submission
folder to its `archive/`, so the folder holds exactly what still has to go; a re-run of a
night never supersedes an uploaded file (its changes go out as corrections and deletions).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from amlwatch import wiring
from amlwatch.cases import Hold, HoldRegister, SubmissionLedger
from amlwatch.cases.submissions import LARGE_VALUE_FAMILIES, FileRecord
from amlwatch.masking import mask_value
from amlwatch.models import REPORT_DUE_WORKING_DAYS
from amlwatch.settings import Settings
from amlwatch.stages.data_issues import open_data_issues
from amlwatch.submission import receipts
from amlwatch.submission.receipts import Action
from amlwatch.submission.screen import FIELD_NAMES
from amlwatch.warehouse import large_value as wh_large_value
from amlwatch.warehouse.exceptions import WarehouseLocked, WarehouseUnavailable


def deadlines(
    ledger: SubmissionLedger, settings: Settings | None = None, db: Path | None = None
) -> Callable[[FileRecord], dt.date | None]:
    """A file's deadline: for a large-value file its earliest record's (trade date + 5 working
    days), for a case's report the case's due date."""
    settings = settings or wiring.settings()
    days = wiring.calendar(settings)
    review = wiring.review_for(ledger.store, settings)  # the same case store: no new engine

    def due(record: FileRecord) -> dt.date | None:
        if record.family in LARGE_VALUE_FAMILIES:
            first = ledger.earliest_day(record.name)
            return days.add_business_days(first, REPORT_DUE_WORKING_DAYS) if first else None
        case = review.case_of_alert(record.answers) if record.answers else None
        return case.due_date if case else None

    return due


UNFILED_LOOKBACK_DAYS = 60


def open_actions(
    ledger: SubmissionLedger,
    today: dt.date,
    settings: Settings | None = None,
    db: Path | None = None,
) -> list[Action]:
    """Every open item of the regulator files, overdue first, with its deadline — and the
    large-value hits of the last 60 days that no file carries (a night whose filing failed
    or never ran): to be filed, late if need be (补报), under their own business keys."""
    settings = settings or wiring.settings()
    todo = receipts.actions(ledger, today, due=deadlines(ledger, settings, db))
    todo += held_actions(HoldRegister(ledger.store).open(), today)
    todo += [
        Action(
            f"case #{case.id}",
            "report held",
            f"已批准的可疑交易报告未能生成（预警 {case.alert_id}）：{reason}；补正后在案件页“生成报告”",
            case.due_date,
            case.due_date is not None and case.due_date < today,
        )
        for case, reason in wiring.review_for(ledger.store, settings).reports_held()
    ]
    todo += unfiled(ledger, today, settings, db)
    todo += data_issue_actions(settings, db)
    return sorted(todo, key=lambda a: (not a.overdue, a.due or dt.date.max, a.name))


def held_actions(held: Sequence[Hold], today: dt.date) -> list[Action]:
    """The records held back (待补正), one item per night and reason, with the earliest
    deadline: overdue like any file."""
    groups: dict[tuple[dt.date, tuple[str, ...]], list[Hold]] = {}
    for hold in held:
        groups.setdefault((hold.run_date, tuple(hold.reasons)), []).append(hold)
    out = []
    for (run_date, reasons), members in sorted(groups.items()):
        due = min((h.due for h in members if h.due), default=None)
        first = members[0].key
        out.append(
            Action(
                f"held {run_date}",
                "held",
                f"{len(members)} 条大额交易记录未通过报文校验，暂缓报送：{'；'.join(reasons)}"
                f"（首条：客户 {mask_value(first[0])}，{first[1]}，特征 {first[2]}）；"
                "补正客户或交易数据后，下一晚的报文自动补报（amlwatch submissions held）",
                due,
                due is not None and due < today,
            )
        )
    return out


def data_issue_actions(settings: Settings, db: Path | None = None) -> list[Action]:
    """The loaded data the regulator's messages would refuse, still uncorrected: one item per
    field and rule (masked; `amlwatch data-issues` lists each), so that master data is put
    right before its records are due."""
    if not wiring.warehouse_path(db, settings).exists():
        return []
    try:
        issues = open_data_issues(db)
    except (WarehouseLocked, WarehouseUnavailable):  # the night holds it; the next look sees
        return []
    groups: dict[tuple[str, str, str], list[dict[str, object]]] = {}
    for issue in issues:
        key = (str(issue["file"]), str(issue["field"]), str(issue["reason"]))
        groups.setdefault(key, []).append(issue)
    return [
        Action(
            f"data {file}",
            "data issue",
            f"{len(members)} 项{FIELD_NAMES.get(field, field)}（{field}）不符合报文规则：{reason}"
            f"（最近：{members[0]['business_date']}，{members[0]['subject'] or members[0]['value']}）"
            "；请补正数据（amlwatch data-issues）",
        )
        for (file, field, reason), members in sorted(groups.items())
    ]


def unfiled(
    ledger: SubmissionLedger, today: dt.date, settings: Settings, db: Path | None = None
) -> list[Action]:
    """Per run date, the hits no written, uploaded or answered file carries."""
    path = wiring.warehouse_path(db, settings)
    if not path.exists():
        return []
    since = today - dt.timedelta(days=UNFILED_LOOKBACK_DAYS)
    try:
        with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
            hits = wh_large_value.hit_keys_since(warehouse, since)
    except (WarehouseLocked, WarehouseUnavailable) as busy:  # the night holds it: say so
        return [
            Action(
                "warehouse",
                "unchecked",
                f"数据仓库占用中，未核对漏报 / unfiled hits not checked: {busy}",
            )
        ]
    filed: dict[tuple[str, str, str, str], object] = dict(
        ledger.first_filed(sorted({h[1] for h in hits}))
    )
    filed |= {h.key: h for h in HoldRegister(ledger.store).open()}  # listed as held
    days = wiring.calendar(settings)
    missing: dict[dt.date, list[str]] = {}
    for customer, day, code, txn_id, run_date in hits:
        if (customer, day, code, txn_id) not in filed:
            missing.setdefault(run_date, []).append(day)
    out = []
    for run_date, trade_days in sorted(missing.items()):
        first = dt.datetime.strptime(min(trade_days), "%Y%m%d").date()
        due = days.add_business_days(first, REPORT_DUE_WORKING_DAYS)
        out.append(
            Action(
                f"run {run_date}",
                "not filed",
                f"{len(trade_days)} 条大额交易记录未生成报送文件（未报送{'，须补报' if due < today else ''}）"
                f" / record(s) in no file: `amlwatch submit --date {run_date}`",
                due,
                due < today,
            )
        )
    return out


def mark_uploaded(names: Sequence[str], by: str, db: Path | None = None) -> list[FileRecord]:
    """Record the files (message stems or package names) as uploaded by `by` and move them
    (XML and ZIP) into their folder's `archive/`."""
    with wiring.open_ledger(db) as ledger:
        marked = ledger.mark_uploaded(names, by)
        for record in marked:
            if record.path is None:
                continue
            xml = Path(record.path)
            archive = xml.parent / "archive"
            archive.mkdir(exist_ok=True)
            for path in (xml, xml.parent / str(record.package)):
                if path.exists():
                    shutil.move(str(path), archive / path.name)
            ledger.moved(record.name, str(archive / xml.name))
        return [ledger.file(r.name) or r for r in marked]
