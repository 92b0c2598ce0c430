"""The annual evaluation of the monitoring standards (交易监测标准年度评估): the PBOC expects
every standard evaluated every year, the records kept at least 5 years. For a year, per
standard of the pack in force at its end: what it is (family, status, version, owner,
window, the 2003 indicators it covers), what it found (hits, alerts in force and on trial,
customers), what people made of it (cases, dismissals by reason, reports, hit rate), the
rule-pack versions it ran under (a change of parameters is a new version: `amlwatch replay`
shows what one gains and loses), and which of the 2003 list's 15 indicators the library
covers. Written as PDF and xlsx under `reports/standards-evaluations/`, kept with the
reports (10 years)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from amlwatch import wiring
from amlwatch.cases import Review
from amlwatch.models import Case
from amlwatch.printed import FormField, PrintedForm, Section, SignLine, SummaryTable
from amlwatch.reports.forms import FormFiles, write_form
from amlwatch.rules import (
    FAMILY_NAMES,
    INDICATORS_2003,
    STATUS_NAMES,
    PatternStandard,
    RulePack,
    SuspiciousRule,
    load_pack,
    pack_for,
)
from amlwatch.stages.work_report import outcome, rate
from amlwatch.warehouse.standards import PeriodFigures, period_figures


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Every fact of one year's evaluation, read once (the tables only group them)."""

    year: int
    pack: RulePack
    rule: SuspiciousRule
    figures: dict[str, PeriodFigures]  # by standard code, from the warehouse
    cases: dict[str, list[Case]]  # by standard code: cases whose alert first hit in the year
    outcomes: dict[int, str]  # each case's outcome today: open | dismissed | reported
    reasons: dict[str, str]
    today: dt.date


def evaluation_facts(
    year: int, db: Path | None, review: Review, rule_pack: str | None = None
) -> Evaluation:
    """The year's facts, under the pack in force on its last day (or the one named)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    settings = wiring.settings()
    pack = load_pack(rule_pack) if rule_pack else pack_for(end)
    if pack.suspicious is None:
        raise ValueError(f"规则包 {pack.label} 没有监测标准 / has no monitoring standards")
    with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
        figures = period_figures(warehouse, start, end)
    period = review.period_cases(None, start, end)
    by_code: dict[str, list[Case]] = defaultdict(list)
    for case in period.opened:  # a case of several standards counts under each
        for code in case.codes:
            by_code[code].append(case)
    return Evaluation(
        year=year,
        pack=pack,
        rule=pack.suspicious,
        figures=figures,
        cases=dict(by_code),
        outcomes={c.id: outcome(c) for c in period.opened},
        reasons=period.reasons,
        today=wiring.today(),
    )


def write_evaluation(
    year: int, db: Path | None = None, reports_dir: Path | None = None, rule_pack: str | None = None
) -> FormFiles:
    """Write `reports/standards-evaluations/standards_evaluation_<year>.pdf/.xlsx`."""
    settings = wiring.settings()
    with wiring.open_review(db, settings) as review:
        facts = evaluation_facts(year, db, review, rule_pack)
    folder = wiring.reports_folder(settings, reports_dir, "standards-evaluations")
    institution = f"{settings.institution_name}（{settings.institution_code}）"
    return write_form(evaluation_form(facts, institution), folder, f"standards_evaluation_{year}")


def _label(s: PatternStandard) -> str:
    return f"{s.code} {s.name}"


def _library_table(facts: Evaluation) -> SummaryTable:
    rows = [
        [
            _label(s),
            f"{FAMILY_NAMES[s.family]}（{s.family}）",
            f"{STATUS_NAMES[s.status]}（{s.status}）",
            s.version,
            s.owner or "—",
            str(facts.rule.window_of(s)),
            "、".join(s.indicators) or "—",
        ]
        for s in facts.rule.standards
    ]
    return SummaryTable(
        "一、监测标准清单",
        ["监测标准", "类别", "状态", "版本", "负责人", "窗口（工作日）", "覆盖2003年指标"],
        rows,
    )


def _results_table(facts: Evaluation) -> SummaryTable:
    rows = []
    for s in facts.rule.standards:
        f = facts.figures.get(s.code)
        cases = facts.cases.get(s.code, [])
        outcomes = Counter(facts.outcomes[c.id] for c in cases)
        decided = outcomes["dismissed"] + outcomes["reported"]
        rows.append(
            [
                _label(s),
                f"{f.hits if f else 0:,}",
                f"{f.alerts if f else 0:,}",
                f"{f.trial_alerts if f else 0:,}",
                f"{f.customers if f else 0:,}",
                f"{len(cases):,}",
                f"{decided:,}",
                f"{outcomes['dismissed']:,}",
                f"{outcomes['reported']:,}",
                rate(outcomes["reported"], decided),
            ]
        )
    return SummaryTable(
        "二、运行情况与有效性（预警按首次命中日计入本年度）",
        [
            "监测标准",
            "命中",
            "预警（生效）",
            "预警（试运行）",
            "涉及客户",
            "案件",
            "已审结",
            "排除",
            "确认上报",
            "命中率（上报÷审结）",
        ],
        rows,
    )


def _dismissals_table(facts: Evaluation) -> SummaryTable:
    rows = []
    for s in facts.rule.standards:
        counts = Counter(
            c.dismissal_reason or "—"
            for c in facts.cases.get(s.code, [])
            if facts.outcomes[c.id] == "dismissed"
        )
        total = sum(counts.values())
        for code, n in counts.most_common():
            label = facts.reasons.get(code, "（未收录代码）")
            rows.append([_label(s), f"{code} {label}", f"{n:,}", rate(n, total)])
    return SummaryTable(
        "三、排除原因（按监测标准）",
        ["监测标准", "排除原因", "件数", "占该标准排除"],
        rows,
        "" if rows else "本年度无排除。",
    )


def _versions_table(facts: Evaluation) -> SummaryTable:
    rows = []
    for s in facts.rule.standards:
        f = facts.figures.get(s.code)
        for label, first, last in f.packs if f else []:
            rows.append([_label(s), label, f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}"])
    changed = sorted({r[0] for r in rows if sum(x[0] == r[0] for x in rows) > 1})
    note = (
        "规则包版本变更的标准："
        + "；".join(changed)
        + "。变更前后的预警增减以 amlwatch replay 回放核对。"
        if changed
        else "本年度各标准均在同一规则包版本下运行，无参数变更。"
    )
    return SummaryTable(
        "四、运行所依据的规则包版本",
        ["监测标准", "规则包@版本", "首次运行", "最后运行"],
        rows,
        note,
    )


def _coverage_table(facts: Evaluation) -> SummaryTable:
    rows = []
    for code, name in INDICATORS_2003.items():
        covering = [s for s in facts.rule.standards if code in s.indicators and s.running]
        statuses = "、".join(f"{s.code}（{STATUS_NAMES[s.status]}）" for s in covering)
        rows.append([code, name, statuses or "未覆盖"])
    covered = sum(r[2] != "未覆盖" for r in rows)
    return SummaryTable(
        "五、对2003年可疑交易指标的覆盖",
        ["指标", "内容", "覆盖的监测标准"],
        rows,
        f"15项指标中已覆盖{covered}项（运行中的标准：试运行或生效）。",
    )


def evaluation_form(facts: Evaluation, institution: str) -> PrintedForm:
    """The year's evaluation as a printed form, every figure from `evaluation_facts`."""
    standards = facts.rule.standards
    statuses = Counter(s.status for s in standards)
    alerts = sum(f.alerts for f in facts.figures.values())
    trial = sum(f.trial_alerts for f in facts.figures.values())
    cases = sum(len(v) for v in facts.cases.values())
    outcomes = Counter(facts.outcomes.values())
    return PrintedForm(
        title=f"交易监测标准年度评估报告（{facts.year}年度）",
        institution=institution,
        outlet="全行",
        period=f"{facts.year}-01-01 至 {facts.year}-12-31",
        report_date=facts.today,
        reference=f"standards_evaluation_{facts.year}（{facts.pack.label}）",
        sections=[
            Section(
                "概况",
                [
                    FormField("-", "监测标准数", f"{len(standards):,}"),
                    FormField("-", "其中生效", f"{statuses['in_force']:,}"),
                    FormField("-", "其中试运行", f"{statuses['trial']:,}"),
                    FormField(
                        "-", "其中草稿、停用", f"{statuses['draft'] + statuses['retired']:,}"
                    ),
                    FormField("-", "预警（生效标准）", f"{alerts:,}"),
                    FormField("-", "预警（试运行标准，未立案）", f"{trial:,}"),
                    FormField("-", "案件", f"{cases:,}"),
                    FormField("-", "确认上报", f"{outcomes['reported']:,}"),
                    FormField("-", "排除", f"{outcomes['dismissed']:,}"),
                    FormField("-", "统计截至", f"{facts.today:%Y-%m-%d}"),
                ],
            )
        ],
        tables=[
            _library_table(facts),
            _results_table(facts),
            _dismissals_table(facts),
            _versions_table(facts),
            _coverage_table(facts),
        ],
        signoff=[
            SignLine("监测标准负责人（评估）"),
            SignLine("合规部负责人（审核）"),
            SignLine("领导小组"),
        ],
        notes=[
            "依据银发〔2017〕108号：监测标准每年评估一次；新产品上线前评估；影响因素变化后3个月内重新评估；"
            "评估记录至少保存5年。",
            "试运行标准每晚运行，其预警进入调试清单（amlwatch standards trial），不立案、不上报。",
            "命中率 = 确认上报 ÷ 已审结（排除 + 确认上报）；案件按预警首次命中日计入本年度，结果截至统计日。",
        ],
        landscape=True,
    )
