"""Human-readable summaries of runs (Prefect artifacts, CLI output). Never full account numbers."""

from __future__ import annotations

from typing import Any

from amlwatch.models import Filing, LoadReport, NightlyReport
from amlwatch.reasons import quarantine_reason


def load_report_markdown(report: LoadReport) -> str:
    """A load report as a Markdown table."""
    lines = [
        f"### 导入 Ingest {report.business_date} — load `{report.load_id}`",
        "",
        "| 文件 file | 输入 in | 已入库 loaded | 隔离 quarantined |",
        "|---|---:|---:|---:|",
    ]
    for name, rows_in in report.rows_in.items():
        lines.append(
            f"| {name} | {rows_in:,} | {report.rows_loaded.get(name, 0):,} "
            f"| {report.rows_quarantined.get(name, 0):,} |"
        )
    lines.append(
        f"| **total** | {report.total_in:,} | {report.total_loaded:,} "
        f"| {report.total_quarantined:,} |"
    )
    lines.append("")
    lines.append(f"Duration {report.duration_s:.2f} s.")
    if report.replaced_load_id:
        lines.append(f"Replaces load `{report.replaced_load_id}` of the same date.")
    if report.quiet_day:
        lines.append("Quiet day: the transactions file has no rows.")
    if report.sample_rejects:
        lines += [
            "",
            "First quarantined rows:",
            "",
            "| file | line | column | reason |",
            "|---|---:|---|---|",
        ]
        for r in report.sample_rejects:
            lines.append(
                f"| {r.file} | {r.line} | {r.column or ''} | {quarantine_reason(r.reason)} |"
            )
    if report.unknown_codes:
        lines += [
            "",
            "**未知代码 Unknown codes** (loaded as given; an unknown exemption exempts nothing — "
            "map the bank's own names in its rule pack):",
            "",
            "| file | column | value | rows | first line |",
            "|---|---|---|---:|---:|",
        ]
        for u in report.unknown_codes:
            lines.append(
                f"| {u['file']} | {u['column']} | `{u['value']}` | {u['rows']:,} | {u['line']} |"
            )
    if report.data_issues:
        lines += [
            "",
            f"**数据问题 Data issues: {len(report.data_issues)}** — loaded, but the regulator's "
            "messages would refuse them; correct the data (a record still wrong when its file is "
            "written is held 待补正, the rest filed). `amlwatch data-issues` lists them all:",
            "",
            "| 文件 file | 行 line | 客户 customer | 字段 column | 值 value | 问题 rule |",
            "|---|---:|---|---|---|---|",
        ]
        for i in report.data_issues[:DATA_ISSUES_SHOWN]:
            lines.append(
                f"| {i['file']} | {i['line'] or '-'} | {i['subject'] or '-'} | "
                f"{i['column']} ({i['field']}) | `{i['value']}` | {i['reason']} |"
            )
        if len(report.data_issues) > DATA_ISSUES_SHOWN:
            lines.append(f"| … | | | | | {len(report.data_issues) - DATA_ISSUES_SHOWN} more |")
    return "\n".join(lines)


DATA_ISSUES_SHOWN = 20


def _screening_markdown(screened: Any) -> list[str]:
    """The night's list screening: counts only (who matched is for the review app)."""
    if screened is None:
        return []
    if not screened.lists:
        refused = [f"- **名单文件被拒绝 / list file refused:** {r}" for r in screened.refused]
        return [
            "",
            "### 名单监测 Screening — **no list imported** (`amlwatch screening import`)",
            *refused,
        ]
    looked = ", ".join(f"{trigger}: {n:,}" for trigger, n in screened.subjects.items())
    lines = [
        "",
        f"### 名单监测 Screening — {screened.hits:,} suspected hits, {screened.review:,} to review",
        "",
        f"Lists {screened.lists}; candidates looked at ({looked}) in {screened.seconds:.2f} s"
        + ("; **every customer screened again** (a list changed)." if screened.rescreened else "."),
    ]
    if screened.frozen:
        lines.append(
            f"- 因名单命中冻结的客户 customers frozen by confirmed hits: {screened.frozen:,}"
        )
    lines += [f"- 最近 24 小时 last 24 h: {a}" for a in screened.acted]
    lines += [f"- List versions imported from the feed: {v}" for v in screened.imported]
    lines += [
        f"- **名单文件被拒绝（沿用原版本）/ list file refused:** {r}" for r in screened.refused
    ]
    if screened.hits:
        lines.append(
            "- **疑似命中名单：请立即在审核系统处理（确认后冻结）/ suspected hits: act at once**"
        )
    return lines


def nightly_markdown(report: NightlyReport) -> str:
    """A night's run as Markdown: the load, then what each scanner found."""
    parts = [load_report_markdown(report.load), *_screening_markdown(report.screening)]
    calendar = report.calendar
    if calendar is not None and calendar.notes:
        parts += ["", "### 营业日历 Calendar", ""]
        parts += [f"- **注意 / note:** {note}" for note in calendar.notes]
        changes = calendar.opened + calendar.removed + calendar.changed
        if calendar.rescanned:
            nights = ", ".join(map(str, calendar.rescanned))
            parts.append(
                f"- Re-scanned on the official schedule: {nights}; alerts opened "
                f"{len(calendar.opened)}, removed {len(calendar.removed)}, changed "
                f"{len(calendar.changed)}" + (": " + ", ".join(changes) if changes else "")
            )
        if calendar.reports_rewritten:
            nights = ", ".join(map(str, calendar.reports_rewritten))
            parts.append(f"- Large-value reports rewritten with their new deadlines: {nights}")
    lv = report.large_value
    if lv is not None:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(lv.hits_by_code.items())) or "none"
        days = ", ".join(str(d) for d in lv.trade_dates) or "none"
        parts += [
            "",
            f"### 大额交易 Large-value — {lv.hits:,} hits ({codes})",
            "",
            f"Trade dates {days}; {lv.transactions_scanned:,} transactions scanned with "
            f"{', '.join(lv.rule_packs) or 'no pack'} in {lv.duration_s:.2f} s.",
        ]
    files = report.large_value_report
    if files is not None:
        parts += ["", f"Report tables: `{files.workbook}`, `{files.csv}` ({files.rows:,} rows)."]
    sp = report.patterns
    if sp is not None:
        parts += ["", f"### 可疑交易监测 Scatter / concentrate — {sp.alerts:,} alerts", ""]
        standards = sorted(set(sp.alerts_opened) | set(sp.alerts_extended) | set(sp.hits_by_code))
        if standards:
            parts += ["| standard | hits | opened | extended |", "|---|---:|---:|---:|"]
            parts += [
                f"| {c} | {sp.hits_by_code.get(c, 0)} | {sp.alerts_opened.get(c, 0)} "
                f"| {sp.alerts_extended.get(c, 0)} |"
                for c in standards
            ]
            parts.append("")
        if sp.skipped:
            parts.append(f"No pattern rules in force on {', '.join(map(str, sp.skipped))}.")
        parts.append(
            f"Windows ending {', '.join(map(str, sp.scan_dates))}; "
            f"{sp.transactions_scanned:,} transactions scanned with "
            f"{', '.join(sp.rule_packs) or 'no pack'} in {sp.duration_s:.2f} s."
        )
    net = report.network
    if net is not None:
        found = sum(net.structures_by_code.values())
        codes = ", ".join(f"{c}: {n}" for c, n in sorted(net.structures_by_code.items()))
        parts += [
            "",
            f"### 资金网络结构 Network structures — {found:,} ({codes or 'no network standard'})",
            "",
            f"{net.customers:,} customers in them; {net.edges_scanned:,} transfers between two "
            f"of the bank's accounts read in {net.duration_s:.2f} s (`amlwatch network list`).",
        ]
    rescan = report.rescan
    if rescan is not None:
        nights = ", ".join(map(str, rescan.scan_dates)) or "none had run yet"
        parts += [
            "",
            f"### Re-run: later nights re-scanned ({nights})",
            "",
            f"Alerts opened {len(rescan.opened)}, removed {len(rescan.removed)}, changed "
            f"{len(rescan.changed)}"
            + (
                ": " + ", ".join(rescan.opened + rescan.removed + rescan.changed)
                if rescan.opened or rescan.removed or rescan.changed
                else "."
            ),
        ]
    if report.run_id is not None:
        stages = ", ".join(f"{k} {v:.2f} s" for k, v in report.stage_seconds.items())
        parts += [
            "",
            f"Run `{report.run_id}` (in `run_log`): {stages}; "
            f"peak memory {report.peak_rss_mb or 0:,.0f} MB.",
        ]
    form = report.suspicious_report
    if form is not None:
        parts += [
            "",
            f"Suspicious report form: `{form.workbook}` ({form.alerts:,} alerts, "
            f"{form.transactions:,} transactions).",
        ]
    intake = report.cases
    if intake is not None:
        parts += [
            "",
            f"Case review: {len(intake.opened):,} new cases ({len(intake.snoozed):,} snoozed), "
            f"{len(intake.extended):,} updated with new evidence "
            f"({len(intake.reopened):,} dismissed cases reopened), {intake.unchanged:,} unchanged.",
        ]
        if intake.continuing:
            parts.append(
                f"续报 Continuing reports due: {len(intake.continuing):,} reported case(s) whose "
                f"pattern went on are back in review (cases {', '.join(map(str, intake.continuing))})."
            )
    parts += _rating_markdown(report.rating)
    filing = report.submission
    if filing is not None:
        parts += ["", submission_markdown(filing)]
    return "\n".join(parts)


def _rating_markdown(rated: Any) -> list[str]:
    """The night's risk rating: customers per level and what was put to people (counts)."""
    if rated is None:
        return []
    levels = ", ".join(f"{level}: {n:,}" for level, n in rated.per_level.items())
    opened = ", ".join(f"{why} {n:,}" for why, n in rated.opened.items()) or "none"
    return [
        "",
        f"### 客户风险等级 Risk rating — {rated.customers:,} customers ({rated.model})",
        "",
        f"Model levels tonight: {levels}. Confirmed by the system: {rated.confirmed:,}; "
        f"rating reviews opened: {opened}; open reviews refreshed: {rated.refreshed:,} "
        f"({rated.seconds:.2f} s).",
    ]


def submission_markdown(filing: Filing) -> str:
    """The regulator submission a run wrote: what to upload, and what it replaces."""
    if not filing.files:
        text = "### 报送 Submission — nothing new to report"
    else:
        text = (
            f"### 报送 Submission — upload {', '.join(f'`{p}`' for p in filing.packages)} "
            f"from `{filing.folder}`\n\n"
            f"new {filing.new_records:,}, corrected {filing.corrected_records:,}, "
            f"deleted {filing.deleted_records:,} records in "
            f"{len(filing.files)} message(s)."
        )
    if filing.refiled_records:
        text += (
            f"\n\n补报 Filed late: {filing.refiled_records:,} record(s) held on an earlier night "
            "(their data passes now; same business keys)."
        )
    if filing.held:
        text += (
            f"\n\n**待补正 Held: {filing.held_records:,} record(s)** failed the message rules and "
            "are not in tonight's file (the rest is); they go out the night after their data is "
            "corrected (`amlwatch submissions held`):\n"
            + "\n".join(f"- {line}" for line in filing.held[:DATA_ISSUES_SHOWN])
            + (f"\n- … {len(filing.held) - DATA_ISSUES_SHOWN:,} more" if len(filing.held) >
               DATA_ISSUES_SHOWN else "")
        )  # fmt: skip
    if filing.actions:
        text += "\n\n待办 To do (uploads and receipts, overdue first):\n" + "\n".join(
            f"- {a}" for a in filing.actions
        )
    if filing.superseded:
        text += (
            f"\n\nSuperseded (do not upload; moved to `superseded/`): "
            f"{', '.join(f'`{n}`' for n in filing.superseded)}."
        )
    return text
