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
from decimal import Decimal
from pathlib import Path

from amlwatch import wiring
from amlwatch.cases import Review, SubmissionLedger
from amlwatch.cases.rating_rows import TRIGGERS, RatingReview
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


def rate(part: int, whole: int) -> str:
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
    if review is None:
        with wiring.open_review(db, settings) as own:
            form = work_report_form(period, db, own, None, settings)
    else:
        form = work_report_form(period, db, review, actor, settings)
    folder = wiring.reports_folder(settings, reports_dir, "work-reports")
    return write_form(form, folder, f"work_report_{period.key}")


Records = list[dict[str, object]]
Key = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class WorkFacts:
    """Every fact of a work report, each read once: the sections only count and group them,
    so that no two sections can disagree."""

    records: Records  # the period's large-value records (trade date in the period)
    record_status: list[str]  # each record's: on time | late | pending | overdue (uploaded?)
    alerts: list[Case]  # the cases whose alert first hit in the period
    outcomes: dict[int, str]  # each of those cases' outcome today: open | dismissed | reported
    confirmed: list[Case]  # the cases confirmed for a report (approved) in the period
    reasons: dict[str, str]  # dismissal reason labels
    whole_bank: bool
    today: dt.date
    levels: dict[str, int]  # customers per risk level in force (客户风险等级)
    rating_reviews: list[RatingReview]  # rating reviews confirmed in the period
    rating_overdue: int  # open rating reviews past their due date


def work_facts(
    period: Period,
    db: Path | None,
    review: Review,
    actor: User | None,
    settings: Settings,
) -> WorkFacts:
    """The period's facts. A large-value record counts as reported when a file carrying it
    was uploaded to the regulator (and not refused by its receipt), dated by that upload in
    Beijing time: a file only written is not reported."""
    days = wiring.calendar(settings)
    today = wiring.today()
    with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
        records = wh_large_value.large_value_period_rows(warehouse, period.start, period.end)
    uploaded = SubmissionLedger(review.store).first_uploaded(
        sorted({str(r["day"]) for r in records})
    )
    cases = review.period_cases(actor, period.start, period.end)
    levels, rated, rating_overdue = review.rating_period(actor, period.start, period.end)
    return WorkFacts(
        records=records,
        record_status=[_record_status(r, uploaded, days, today) for r in records],
        alerts=cases.opened,
        outcomes={c.id: outcome(c) for c in cases.opened},
        confirmed=cases.confirmed,
        reasons=cases.reasons,
        whole_bank=actor is None or not actor.branches,
        today=today,
        levels=levels,
        rating_reviews=rated,
        rating_overdue=rating_overdue,
    )


def work_report_form(
    period: Period,
    db: Path | None,
    review: Review,
    actor: User | None,
    settings: Settings,
) -> PrintedForm:
    """The work report of a period as a printed form, every figure from `work_facts`."""
    facts = work_facts(period, db, review, actor, settings)
    today, whole_bank = facts.today, facts.whole_bank
    tables = []
    if whole_bank:
        tables.append(_large_value_table(facts))
    tables += [
        _alerts_table(facts),
        _dismissals_table(facts),
        _reports_table(facts),
        _effectiveness_table(facts),
        _rating_table(facts, review),
    ]
    scope = "全行" if whole_bank or actor is None else "、".join(sorted(actor.branches))
    statuses = Counter(facts.record_status)
    outcomes = Counter(facts.outcomes.values())
    return PrintedForm(
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
                    _figure("大额交易记录数", len(facts.records), whole_bank),
                    _figure("其中已上报（按时）", statuses["on time"], whole_bank),
                    _figure("其中已上报（逾期）", statuses["late"], whole_bank),
                    _figure("其中未上报（已逾期）", statuses["overdue"], whole_bank),
                    _figure("可疑交易预警数（案件）", len(facts.alerts)),
                    _figure("可疑交易预警数（按监测标准计）", _by_standard(facts)),
                    _figure("本期预警中已确认上报", outcomes["reported"]),
                    _figure("本期预警中已排除", outcomes["dismissed"]),
                    _figure("本期确认上报的可疑交易报告（审批日在本期）", len(facts.confirmed)),
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
            "已上报：报送文件已上传至监测中心（有回执的，回执未拒收）；仅生成未上传的不计为已上报。"
            "按时：交易日（大额）或确认日（可疑）后5个工作日内上报；日期为北京时间。",
            "三、六两表为本期产生的预警及其截至统计日的结果；五表为审批日在本期的可疑交易报告。",
            "监测标准有效性：上报率 = 确认上报 ÷ 已审结；排除率 = 排除 ÷ 已审结。",
        ],
        landscape=False,
    )


def _figure(name: str, value: int, shown: bool = True) -> FormField:
    """A count of the summary: printed, and kept as a number for the workbook."""
    if not shown:
        return FormField("-", name, "—")
    return FormField("-", name, f"{value:,}", amount=Decimal(value))


def _record_status(
    record: dict[str, object], uploaded: dict[Key, dt.date], days: BusinessCalendar, today: dt.date
) -> str:
    key = (
        str(record["customer_id"]),
        str(record["day"]),
        str(record["characteristic_code"]),
        str(record["txn_id"]),
    )
    trade_date = record["trade_date"]
    assert isinstance(trade_date, dt.date)
    due = days.add_business_days(trade_date, REPORT_DUE_WORKING_DAYS)
    when = uploaded.get(key)
    if when is not None:
        return "on time" if when <= due else "late"
    return "overdue" if today > due else "pending"


def _large_value_table(facts: WorkFacts) -> SummaryTable:
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r, status in zip(facts.records, facts.record_status, strict=True):
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
            rate(c["on time"], c["all"] - c["pending"]),
        ]
        for (branch, code), c in sorted(counts.items())
    ]
    return SummaryTable(
        "二、大额交易报告（按网点、特征）",
        [
            "网点",
            "大额交易特征",
            "记录数",
            "按时上报",
            "逾期上报",
            "未上报（未到期）",
            "未上报（已逾期）",
            "按时率",
        ],
        rows,
        "按时率 = 按时上报 ÷（记录数 − 未到期）；上报 = 文件已上传监测中心。"
        if rows
        else "本期无大额交易记录。",
    )


def _by_standard(facts: WorkFacts) -> int:
    """The period's alerts counted once under each standard of their case."""
    return sum(len(c.standards) for c in facts.alerts)


def _several(facts: WorkFacts) -> str:
    """The note under a table that counts a case under each of its standards."""
    return (
        f"一个案件命中多个监测标准的，在每个标准下各计一次：本期案件 {len(facts.alerts):,} 件，"
        f"按监测标准计 {_by_standard(facts):,} 次。"
    )


def _alerts_table(facts: WorkFacts) -> SummaryTable:
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    names = {}
    for c in facts.alerts:  # a case of several standards counts under each
        for code, name in c.standards:
            names[code] = name
            counter = counts[(c.branch_code, code)]
            counter["all"] += 1
            counter[facts.outcomes[c.id]] += 1
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
        "三、本期可疑交易预警及结果（按网点、监测标准）",
        ["网点", "监测标准", "预警数", "审核中", "排除", "确认上报"],
        rows,
        _several(facts) if rows else "本期无可疑交易预警。",
    )


def outcome(case: Case) -> str:
    if case.state is CaseState.DISMISSED:
        return "dismissed"
    if case.approved_on is not None:
        return "reported"
    return "open" if case.state in OPEN_STATES else "other"


def _dismissals_table(facts: WorkFacts) -> SummaryTable:
    reasons = facts.reasons
    counts = Counter(
        c.dismissal_reason or "—" for c in facts.alerts if facts.outcomes[c.id] == "dismissed"
    )
    total = sum(counts.values())
    rows = [
        [f"{code} {reasons.get(code, '（未收录代码）')}", f"{n:,}", rate(n, total)]
        for code, n in counts.most_common()
    ]
    return SummaryTable(
        "四、预警排除原因", ["排除原因", "件数", "占比"], rows, "" if rows else "本期无排除。"
    )


def _reports_table(facts: WorkFacts) -> SummaryTable:
    today = facts.today
    rows = []
    for c in sorted(facts.confirmed, key=lambda c: (c.approved_on, c.id)):
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
        "五、本期确认上报的可疑交易报告及报送及时性",
        ["案件", "监测标准", "网点", "确认日", "报送截止", "报告文件", "报送日", "及时性", "状态"],
        rows,
        f"本期确认 {len(rows)} 件，按时报送 {on_time} 件，逾期 {late} 件。"
        if rows
        else "本期无确认上报的可疑交易。",
    )


def _effectiveness_table(facts: WorkFacts) -> SummaryTable:
    by_rule: dict[str, list[Case]] = defaultdict(list)
    for c in facts.alerts:  # a case of several standards counts under each
        for code in c.codes:
            by_rule[code].append(c)
    rows = []
    for code, group in sorted(by_rule.items()):
        outcomes = Counter(facts.outcomes[c.id] for c in group)
        decided = outcomes["dismissed"] + outcomes["reported"]
        rows.append(
            [
                f"{code} {dict(group[0].standards).get(code, group[0].rule_name)}",
                f"{len(group):,}",
                f"{decided:,}",
                f"{outcomes['dismissed']:,}",
                f"{outcomes['reported']:,}",
                rate(outcomes["reported"], decided),
                rate(outcomes["dismissed"], decided),
            ]
        )
    return SummaryTable(
        "六、监测标准有效性",
        ["监测标准", "预警数", "已审结", "排除", "确认上报", "上报率", "排除率"],
        rows,
        _several(facts) if rows else "本期无预警。",
    )


def _rating_table(facts: WorkFacts, review: Review) -> SummaryTable:
    """七: customers per risk level in force, and the period's rating reviews on time or not."""
    on_time = Counter(
        (r.trigger, r.decided_at is not None and r.decided_at.date() <= r.due_on)
        for r in facts.rating_reviews
    )
    rows = [
        [f"{review.level_name(code)}（{code}）", f"{n:,}", "", ""]
        for code, n in facts.levels.items()
    ]
    for trigger, name in TRIGGERS.items():
        done, late = on_time[(trigger, True)], on_time[(trigger, False)]
        if done or late:
            rows.append([f"复核：{name}", "", f"{done:,}", f"{late:,}"])
    note = f"现行等级为统计日的等级；本期完成评级复核 {len(facts.rating_reviews)} 件，"
    return SummaryTable("七、客户风险等级", ["等级 / 复核类别", "客户数", "按期完成", "逾期完成"], rows,
                        note + f"待处理且已逾期 {facts.rating_overdue} 件。")  # fmt: skip
