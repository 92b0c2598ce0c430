"""The periodic work report for the leading group (duty statement: the liaison 及时汇总并报送
大额可疑交易报告及分析报告; the chief accountant 上报分析、总结的工作报告): for a month or a
quarter, per branch and characteristic the large-value records and how many were filed on
time, the alerts, the dismissals by reason, the suspicious reports and their timeliness, and
per monitoring standard the effectiveness figures. Written as PDF and xlsx."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from amlwatch import wiring
from amlwatch.cases import Review, SubmissionLedger
from amlwatch.cases.usecases.base import OPEN_STATES
from amlwatch.labels import labelled
from amlwatch.models import REPORT_DUE_WORKING_DAYS, Case, CaseState, User
from amlwatch.printed import FormField, PrintedForm, Section, SignLine, SummaryTable
from amlwatch.reports.forms import FormFiles, write_form
from amlwatch.rules import BusinessCalendar
from amlwatch.settings import Settings
from amlwatch.warehouse import large_value as wh_large_value

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_QUARTER_NAMES = "一二三四"


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date
    end: dt.date
    label: str  # 2026年10月, 2026年第四季度
    key: str  # 2026-10, 2026Q4

    @classmethod
    def parse(cls, text: str) -> Period:
        """`2026-10` (a month) or `2026Q4` / `2026-Q4` (a quarter)."""
        text = text.strip()
        if match := _MONTH.match(text):
            year, month = int(match[1]), int(match[2])
            if not 1 <= month <= 12:
                raise ValueError(f"{text}: 月份应为 01–12 / month 01-12")
            start = dt.date(year, month, 1)
            return cls(start, _month_end(start), f"{year}年{month}月", f"{year}-{month:02d}")
        if match := _QUARTER.match(text):
            year, quarter = int(match[1]), int(match[2])
            start = dt.date(year, 3 * quarter - 2, 1)
            end = _month_end(dt.date(year, 3 * quarter, 1))
            name = f"{year}年第{_QUARTER_NAMES[quarter - 1]}季度"
            return cls(start, end, name, f"{year}Q{quarter}")
        raise ValueError(f"{text!r}: 期间应为 2026-10（月）或 2026Q4（季度）/ a month or quarter")


def _month_end(first: dt.date) -> dt.date:
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _rate(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "—"


def write_work_report(
    period: Period,
    db: Path | None = None,
    reports_dir: Path | None = None,
    review: Review | None = None,
    actor: User | None = None,
) -> FormFiles:
    """Write `reports/work-reports/work_report_<period>.pdf/.xlsx`. With a user (the review
    app's download), the cases are those of the user's branches and the download is audited;
    the large-value figures are the whole bank's and shown only to users who see it all."""
    settings = wiring.settings()
    days = wiring.calendar(settings)
    with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
        records = wh_large_value.large_value_period_rows(warehouse, period.start, period.end)
    if review is None:
        with wiring.open_review(db, settings) as own:
            return _write(period, records, own, None, days, settings, reports_dir)
    return _write(period, records, review, actor, days, settings, reports_dir)


Records = list[dict[str, object]]
Key = tuple[str, str, str, str]


def _write(
    period: Period,
    records: Records,
    review: Review,
    actor: User | None,
    days: BusinessCalendar,
    settings: Settings,
    reports_dir: Path | None,
) -> FormFiles:
    cases = review.period_cases(actor, period.start, period.end)
    filed = SubmissionLedger(review.store).first_filed(sorted({str(r["day"]) for r in records}))
    today = wiring.today()
    whole_bank = actor is None or not actor.branches
    tables = []
    if whole_bank:
        tables.append(_large_value_table(records, filed, days, today))
    tables += [
        _alerts_table(cases.opened),
        _dismissals_table(cases.opened, cases.reasons),
        _reports_table(cases.confirmed, today),
        _effectiveness_table(cases.opened),
    ]
    scope = "全行" if whole_bank or actor is None else "、".join(sorted(actor.branches))
    form = PrintedForm(
        title=f"反洗钱工作报告（{period.label}）",
        institution=f"{settings.institution_name}（{settings.institution_code}）",
        outlet=scope,
        period=f"{period.start:%Y-%m-%d} 至 {period.end:%Y-%m-%d}",
        report_date=today,
        reference=f"work_report_{period.key}",
        sections=[
            Section(
                "一、概况",
                [
                    FormField("-", "大额交易记录数", f"{len(records):,}" if whole_bank else "—"),
                    FormField("-", "可疑交易预警数（案件）", f"{len(cases.opened):,}"),
                    FormField("-", "本期确认上报的可疑交易", f"{len(cases.confirmed):,}"),
                    FormField("-", "统计截至", f"{today:%Y-%m-%d}"),
                ],
            )
        ],
        tables=tables,
        signoff=[
            SignLine("反洗钱联络员（汇总）"),
            SignLine("总会计（审核）"),
            SignLine("领导小组"),
        ],
        notes=[
            "按时：交易日（大额）或确认日（可疑）后5个工作日内生成报送文件；日期为北京时间。",
            "监测标准有效性：上报率 = 确认上报 ÷ 已审结；排除率 = 排除 ÷ 已审结。",
        ],
        landscape=False,
    )
    folder = wiring.reports_folder(settings, reports_dir, "work-reports")
    return write_form(form, folder, f"work_report_{period.key}")


def _large_value_table(
    records: Records, filed: dict[Key, dt.date], days: BusinessCalendar, today: dt.date
) -> SummaryTable:
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in records:
        key = (
            str(r["customer_id"]),
            str(r["day"]),
            str(r["characteristic_code"]),
            str(r["txn_id"]),
        )
        trade_date = r["trade_date"]
        assert isinstance(trade_date, dt.date)
        due = days.add_business_days(trade_date, REPORT_DUE_WORKING_DAYS)
        when = filed.get(key)
        status = (
            ("on time" if when <= due else "late")
            if when is not None
            else ("overdue" if today > due else "pending")
        )
        counter = counts[(str(r["branch_code"] or "—"), str(r["characteristic_code"]))]
        counter["all"] += 1
        counter[status] += 1
    rows = [
        [
            branch,
            labelled("characteristic", code),
            f"{c['all']:,}",
            f"{c['on time']:,}",
            f"{c['late']:,}",
            f"{c['pending']:,}",
            f"{c['overdue']:,}",
            _rate(c["on time"], c["all"] - c["pending"]),
        ]
        for (branch, code), c in sorted(counts.items())
    ]
    return SummaryTable(
        "二、大额交易报告（按网点、特征）",
        [
            "网点",
            "大额交易特征",
            "记录数",
            "按时报送",
            "逾期报送",
            "未报送（未到期）",
            "未报送（已逾期）",
            "按时率",
        ],
        rows,
        "按时率 = 按时报送 ÷（记录数 − 未到期）。" if rows else "本期无大额交易记录。",
    )


def _alerts_table(cases: list[Case]) -> SummaryTable:
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    names = {}
    for c in cases:
        names[c.rule_code] = c.rule_name
        counter = counts[(c.branch_code, c.rule_code)]
        counter["all"] += 1
        counter[_outcome(c)] += 1
    rows = [
        [
            branch,
            f"{code} {names[code]}",
            f"{c['all']:,}",
            f"{c['open']:,}",
            f"{c['dismissed']:,}",
            f"{c['reported']:,}",
        ]
        for (branch, code), c in sorted(counts.items())
    ]
    return SummaryTable(
        "三、可疑交易预警（按网点、监测标准）",
        ["网点", "监测标准", "预警数", "审核中", "排除", "确认上报"],
        rows,
        "" if rows else "本期无可疑交易预警。",
    )


def _outcome(case: Case) -> str:
    if case.state is CaseState.DISMISSED:
        return "dismissed"
    if case.approved_on is not None:
        return "reported"
    return "open" if case.state in OPEN_STATES else "other"


def _dismissals_table(cases: list[Case], reasons: dict[str, str]) -> SummaryTable:
    counts = Counter(c.dismissal_reason or "—" for c in cases if c.state is CaseState.DISMISSED)
    total = sum(counts.values())
    rows = [
        [f"{code} {reasons.get(code, '（未收录代码）')}", f"{n:,}", _rate(n, total)]
        for code, n in counts.most_common()
    ]
    return SummaryTable(
        "四、预警排除原因", ["排除原因", "件数", "占比"], rows, "" if rows else "本期无排除。"
    )


def _reports_table(cases: list[Case], today: dt.date) -> SummaryTable:
    rows = []
    for c in sorted(cases, key=lambda c: (c.approved_on, c.id)):
        due = c.due_date
        if c.submitted_on is not None and due is not None:
            timely = "按时" if c.submitted_on <= due else "逾期"
        elif due is not None:
            timely = "已逾期未报送" if today > due else "未到期"
        else:
            timely = "—"
        rows.append(
            [
                f"#{c.id}",
                f"{c.rule_code} {c.rule_name}",
                c.branch_code,
                f"{c.approved_on:%Y-%m-%d}" if c.approved_on else "",
                f"{due:%Y-%m-%d}" if due else "",
                c.report_name or "未生成",
                f"{c.submitted_on:%Y-%m-%d}" if c.submitted_on else "",
                timely,
                labelled("case_state", str(c.state)),
            ]
        )
    on_time = sum(r[7] == "按时" for r in rows)
    late = sum(r[7] in ("逾期", "已逾期未报送") for r in rows)
    return SummaryTable(
        "五、可疑交易报告及报送及时性",
        ["案件", "监测标准", "网点", "确认日", "报送截止", "报告文件", "报送日", "及时性", "状态"],
        rows,
        f"本期确认 {len(rows)} 件，按时报送 {on_time} 件，逾期 {late} 件。"
        if rows
        else "本期无确认上报的可疑交易。",
    )


def _effectiveness_table(cases: list[Case]) -> SummaryTable:
    by_rule: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        by_rule[c.rule_code].append(c)
    rows = []
    for code, group in sorted(by_rule.items()):
        outcomes = Counter(_outcome(c) for c in group)
        decided = outcomes["dismissed"] + outcomes["reported"]
        rows.append(
            [
                f"{code} {group[0].rule_name}",
                f"{len(group):,}",
                f"{decided:,}",
                f"{outcomes['dismissed']:,}",
                f"{outcomes['reported']:,}",
                _rate(outcomes["reported"], decided),
                _rate(outcomes["dismissed"], decided),
            ]
        )
    return SummaryTable(
        "六、监测标准有效性",
        ["监测标准", "预警数", "已审结", "排除", "确认上报", "上报率", "排除率"],
        rows,
        "" if rows else "本期无预警。",
    )
