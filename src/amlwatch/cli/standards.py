"""`amlwatch standards`: the library of monitoring standards (交易监测标准库) of a rule pack —
what each looks for, its family, status, version, owner and parameters, what it found — and
the tuning list of the standards on trial."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from amlwatch import wiring
from amlwatch.cli.common import DbOpt, ReportsOpt, app, console, err, fail, parse_date
from amlwatch.rules import (
    FAMILY_NAMES,
    FAMILY_PARAMS,
    INDICATORS_2003,
    NETWORK_FAMILIES,
    STATUS_NAMES,
    PatternStandard,
    RulePack,
    SuspiciousRule,
    UnknownRulePack,
)

standards_app = typer.Typer(
    help="交易监测标准库 / the monitoring standards of a rule pack", no_args_is_help=True
)
app.add_typer(standards_app, name="standards")

PackOpt = Annotated[
    str | None,
    typer.Option("--rule-pack", help="规则包 / rule pack name or .toml [default: in force today]"),
]

# what a parameter is called on screen
PARAM_NAMES = {
    "hours": "转入后小时数", "min_in_cny": "窗口转入合计下限", "min_quick_share": "快出占转入比例下限",
    "max_residual_share": "留存余额比例上限", "min_days": "命中天数下限", "threshold_cny": "报告标准",
    "band": "低于标准的幅度", "min_count": "命中笔数下限", "min_total_cny": "命中金额合计下限",
    "min_rows": "同一对手往来笔数下限", "min_parties": "频繁对手数下限",
    "night_from": "夜间开始", "night_to": "夜间结束", "min_single_cny": "单笔金额下限",
    "cash_only": "仅现金交易（1 是 / 0 否）", "pair_band": "转出与转入金额偏差上限",
    "max_age_days": "开户后天数上限", "multiple": "相对申报收入或注册资本的倍数",
    "idle_days": "闲置天数下限", "wake_days": "启用后计入天数",
    "min_opened": "开户数下限", "min_closed": "销户数下限", "min_events": "开户、销户合计下限",
    "day_floor_cny": "大额日收付合计下限", "min_gap_days": "周期间隔天数下限",
    "max_gap_days": "周期间隔天数上限", "jitter_days": "间隔最大偏差天数", "min_cycles": "周期内大额日数下限",
    "baseline_days": "以往期间天数", "min_known_days": "以往期间天数下限",
    "min_active_days": "以往有交易天数下限",
    "max_gap_hours": "相邻两笔转账间隔小时数上限", "low_share": "下一笔占上一笔金额比例下限",
    "high_share": "下一笔占上一笔金额比例上限", "min_edge_cny": "每笔转账金额下限",
    "max_degree": "窗口内往来笔数上限（超过者不作中转）", "min_hops": "链条转账笔数下限",
    "max_edges": "回流环转账笔数上限", "min_score": "结构评分下限（0–100）",
    "min_fan": "分散或集中一侧的客户数下限",
}  # fmt: skip
# a name that means another thing in one family
FAMILY_PARAM_NAMES = {("baseline", "multiple"): "相对以往日均收付的倍数"}


def param_name(family: str, name: str) -> str:
    """What a family's parameter is called on screen."""
    return FAMILY_PARAM_NAMES.get((family, name), PARAM_NAMES.get(name, name))


def _pack(rule_pack: str | None, db: Path | None) -> tuple[RulePack, SuspiciousRule]:
    """The pack named, or the one in force today with the standards' approved versions."""
    try:
        pack = wiring.rule_pack_on(wiring.today(), rule_pack, wiring.standards_library(db))
    except UnknownRulePack as error:
        fail(error)
    if pack.suspicious is None:
        fail(ValueError(f"规则包 {pack.label} 没有可疑交易监测标准 / has no monitoring standards"))
    return pack, pack.suspicious


def _status(standard: PatternStandard) -> str:
    return f"{STATUS_NAMES[standard.status]} {standard.status}"


def _family(standard: PatternStandard) -> str:
    return f"{FAMILY_NAMES[standard.family]} {standard.family}"


def _params_table(s: PatternStandard) -> Table:
    """A standard's parameters by customer type (a network standard's: one column, the same
    for every type: a structure spans customers of both)."""
    table = Table(title="参数 parameters")
    if s.family in NETWORK_FAMILIES:
        table.add_column("参数 parameter")
        table.add_column("各类客户 every customer type")
        common = next(iter(s.params.values()))
        for name, kind in FAMILY_PARAMS[s.family]:
            table.add_row(f"{param_name(s.family, name)} {name}", _value(name, kind, common[name]))
        return table
    for column in ("参数 parameter", "个人 individual", "对公 entity"):
        table.add_column(column)
    for name, kind in FAMILY_PARAMS[s.family]:
        table.add_row(
            f"{param_name(s.family, name)} {name}",
            *(
                _value(name, kind, s.params[t][name]) if t in s.params else "不适用 n/a"
                for t in ("individual", "entity")
            ),
        )
    return table


def _value(name: str, kind: str, value: Decimal) -> str:
    if kind == "money":
        return f"{value:,.2f} 元"
    if kind == "ratio":
        return f"{value * 100:g}%"
    if kind == "seconds":
        return f"{int(value) // 3600:02d}:{int(value) % 3600 // 60:02d}"
    return f"{value:g}"


def _figures(db: object) -> dict:
    from amlwatch.warehouse.standards import standard_figures

    path = wiring.warehouse_path(db)  # type: ignore[arg-type]
    if not path.exists():
        return {}
    with wiring.open_warehouse(path, read_only=True) as warehouse:
        return standard_figures(warehouse)


def _wide() -> Console:
    return console if console.is_terminal else Console(width=160)


@standards_app.command("list")
def list_standards(rule_pack: PackOpt = None, db: DbOpt = None) -> None:
    """标准清单 / Every standard of the pack: family, status, version, window, what it found."""
    pack, rule = _pack(rule_pack, db)
    figures = _figures(db)
    table = Table(
        title=f"交易监测标准库 Monitoring standards — {pack.label} ({len(rule.standards)})"
    )
    for column in ("编号 code", "名称 name", "类别 family", "状态 status", "版本", "窗口(工作日)",
                   "负责人 owner", "2003年指标", "命中 hits", "预警 alerts", "客户 customers"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for s in rule.standards:
        f = figures.get(s.code)
        table.add_row(
            s.code, s.name, _family(s), _status(s), s.version, str(rule.window_of(s)),
            s.owner or "—", "、".join(s.indicators) or "—",
            *(str(getattr(f, n)) if f else "0" for n in ("hits", "alerts", "customers")),
        )  # fmt: skip
    _wide().print(table)
    covered = sorted({i for s in rule.standards if s.running for i in s.indicators})
    console.print(
        f"运行中的标准覆盖2003年15项指标中的{len(covered)}项 / the running standards cover "
        f"{len(covered)} of the 2003 list's 15 indicators: {'、'.join(covered) or '—'}"
    )


@standards_app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="标准编号 / standard code, e.g. AMLW-SP-0201")],
    rule_pack: PackOpt = None,
    db: DbOpt = None,
) -> None:
    """标准详情 / One standard: what it looks for, its parameters per customer type, figures."""
    pack, rule = _pack(rule_pack, db)
    try:
        s = rule.standard(code)
    except KeyError:
        known = ", ".join(x.code for x in rule.standards)
        err.print(f"规则包 {pack.label} 没有标准 {code} / no such standard; known: {known}")
        raise typer.Exit(2) from None
    out = _wide()
    out.print(f"[bold]{s.code} {s.name}[/]")
    out.print(
        f"  类别 family: {_family(s)}    状态 status: {_status(s)}    版本 version: {s.version}"
    )
    out.print(
        f"  负责人 owner: {s.owner or '—'}    窗口 window: {rule.window_of(s)} 个工作日    "
        f"主体 subject: {'客户' if rule.subject == 'customer' else '账户'} {rule.subject}    "
        f"生效 from: {s.effective_from or pack.effective_from}    规则包 pack: {pack.label}"
    )
    for indicator in s.indicators:
        out.print(f"  覆盖 2003年指标 {indicator}: {INDICATORS_2003[indicator]}")
    if s.family == "scatter":
        out.print(
            f"  参数 parameters: 规则包的分散/集中阈值表 [suspicious.thresholds] (scattered = {s.scattered})"
        )
    else:
        out.print(_params_table(s))
    exclude = sorted(rule.exclude_purposes)
    out.print(f"  不监测的用途 excluded purposes: {'、'.join(exclude) or '—'}")
    own = "；".join(f"{k}: {'、'.join(sorted(v))}" for k, v in sorted(s.exclude.items()))
    out.print(f"  本标准另行排除 its own exclusions: {own or '—'}")
    f = _figures(db).get(s.code)
    if f is not None:
        out.print(
            f"  命中 hits {f.hits}，预警 alerts {f.alerts}（试运行 on trial {f.trial_alerts}），"
            f"客户 customers {f.customers}，最近命中 last hit {f.last_hit}"
        )


@standards_app.command("trial")
def trial(
    code: Annotated[str | None, typer.Argument(help="标准编号 / one standard's only")] = None,
    date: Annotated[str | None, typer.Option("--date", help="命中日 / that night's only")] = None,
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="行数 / rows")] = 50,
) -> None:
    """试运行预警 / The tuning list: alerts of standards on trial (they open no case)."""
    from amlwatch.warehouse.standards import trial_alerts

    with wiring.open_warehouse(db, read_only=True) as warehouse:
        rows = trial_alerts(warehouse, code, parse_date(date) if date else None, limit)
    table = Table(title=f"试运行标准的预警 Alerts of standards on trial ({len(rows)})")
    columns = (
        "预警编号",
        "客户号",
        "类型",
        "窗口",
        "日数",
        "入/出 万元",
        "命中笔数",
        "命中金额 万元",
    )
    for column in (*columns, "命中天数"):
        table.add_column(column, no_wrap=column in ("预警编号", "客户号"))
    for a in rows:
        table.add_row(
            a["alert_id"], a["customer_id"], "对公" if a["customer_type"] == "entity" else "个人",
            f"{a['window_start']:%m-%d}~{a['window_end']:%m-%d}", str(a["nights"]),
            f"{a['in_total'] / 10_000:,.1f}/{a['out_total'] / 10_000:,.1f}",
            str(a["measure_count"]), f"{(a['measure_total'] or 0) / 10_000:,.1f}",
            str(a["measure_days"]),
        )  # fmt: skip
    _wide().print(table)


@standards_app.command("evaluate")
def evaluate(
    year: Annotated[int, typer.Option("--year", help="年度 / the year evaluated, e.g. 2026")],
    rule_pack: PackOpt = None,
    db: DbOpt = None,
    reports: ReportsOpt = None,
) -> None:
    """年度评估 / The year's evaluation of every standard (PDF and xlsx): what each found,
    cases, dismissals by reason, reports, hit rate, pack versions, the 2003 indicators covered."""
    from amlwatch.stages.evaluation import write_evaluation

    try:
        files = write_evaluation(year, db, reports, rule_pack)
    except Exception as error:
        fail(error)
    console.print(f"年度评估 evaluation: {files.pdf}", soft_wrap=True)
    console.print(f"                    {files.workbook}", soft_wrap=True)


AsOpt = Annotated[
    str, typer.Option("--as", help="审核系统的在用用户名 / an active user of the review app")
]


def _changes(status: str | None, sets: list[str], window: int | None, owner: str | None) -> dict:
    """The change as a pack would say it; `--set individual.min_rows=12` (or `all.` for both
    customer types)."""
    changes: dict = {}
    if status is not None:
        changes["status"] = status
    if window is not None:
        changes["window_business_days"] = window
    if owner is not None:
        changes["owner"] = owner
    for item in sets:
        target, _, value = item.partition("=")
        kind, _, name = target.partition(".")
        if not value or not name or kind not in ("individual", "entity", "all"):
            fail(
                ValueError(
                    f"--set {item!r}: 应为 individual.参数=值、entity.参数=值 或 all.参数=值"
                )
            )
        for customer_type in ("individual", "entity") if kind == "all" else (kind,):
            changes.setdefault("params", {}).setdefault(customer_type, {})[name] = value
    if not changes:
        fail(ValueError("没有变更 / nothing to change: give --status, --set, --window or --owner"))
    return changes


@standards_app.command("propose")
def propose(
    code: Annotated[str, typer.Argument(help="标准编号 / standard code")],
    as_user: AsOpt,
    reason: Annotated[str, typer.Option("--reason", help="变更理由 / why")],
    replay_from: Annotated[str, typer.Option("--replay-from", help="回放首日 / replay from")],
    replay_to: Annotated[str, typer.Option("--replay-to", help="回放末日 / replay to")],
    status: Annotated[
        str | None, typer.Option("--status", help="draft | trial | in_force | retired")
    ] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", help="参数 / a parameter, e.g. individual.min_rows=12 (repeat)"),
    ] = None,
    window: Annotated[int | None, typer.Option("--window", help="窗口工作日 / window")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="负责人 / owner")] = None,
    db: DbOpt = None,
) -> None:
    """提出变更 / Propose a version of a standard (status, parameters, window, owner) with the
    replay over history beside it; an approver other than you puts it in force."""
    from amlwatch.stages.standard_changes import propose_change

    changes = _changes(status, sets or [], window, owner)
    try:
        version = propose_change(
            code, changes, reason, as_user, parse_date(replay_from), parse_date(replay_to), db
        )
    except Exception as error:
        fail(error)
    console.print(f"变更 #{version.id} 已提交，待审批 / proposal #{version.id} pending: {code} "
                  f"v{version.version}, 生效 from {version.effective_from} once approved")  # fmt: skip
    _print_replay(version.replay)


def _print_replay(summary: dict) -> None:
    table = Table(title=f"回放 Replay {summary.get('from')} → {summary.get('to')}")
    for column in ("标准 standard", "命中 hits", "主体 subjects", "新增 added", "减少 removed"):
        table.add_column(column)
    for code, c in summary.get("by_standard", {}).items():
        table.add_row(
            code, f"{c['hits'][0]:,} → {c['hits'][1]:,}",
            f"{c['subjects'][0]:,} → {c['subjects'][1]:,}", f"+{c['added']:,}", f"-{c['removed']:,}",
        )  # fmt: skip
    _wide().print(table)


@standards_app.command("proposals")
def proposals(
    as_user: AsOpt,
    every: Annotated[bool, typer.Option("--all", help="含已决定的 / decided ones too")] = False,
    db: DbOpt = None,
) -> None:
    """变更记录 / The proposed versions (pending; with --all, decided ones too)."""
    from amlwatch.cases.standard_rows import STATES

    try:
        with wiring.open_review(db) as review:
            found = review.standard_versions(
                review.console_person(as_user), None if every else "pending"
            )
    except Exception as error:
        fail(error)
    table = Table(title=f"监测标准变更 Standard versions ({len(found)})")
    for column in ("#", "标准", "版本", "变更", "状态", "提出", "审批", "生效"):
        table.add_column(column, overflow="fold")
    for v in found:
        table.add_row(
            str(v.id), v.code, v.version, json.dumps(v.changes, ensure_ascii=False),
            f"{STATES[v.state]} {v.state}", v.proposed_by, v.decided_by or "—", str(v.effective_from),
        )  # fmt: skip
    _wide().print(table)


def _decide(version_id: int, as_user: str, approve: bool, note: str, db: object) -> None:
    try:
        with wiring.open_review(db) as review:  # type: ignore[arg-type]
            actor = review.console_person(as_user)
            version = review.decide_standard(actor, version_id, approve, note)
    except Exception as error:
        fail(error)
    verb = f"已生效 in force from {version.effective_from}" if approve else "已驳回 rejected"
    console.print(f"变更 #{version.id}（{version.code} v{version.version}）{verb}")


@standards_app.command("approve")
def approve(
    version_id: Annotated[int, typer.Argument(help="变更编号 / proposal #")],
    as_user: AsOpt,
    note: Annotated[str, typer.Option("--note", help="审批意见 / note")] = "",
    db: DbOpt = None,
) -> None:
    """批准变更 / Put a proposal in force (an approver other than its proposer)."""
    _decide(version_id, as_user, True, note, db)


@standards_app.command("reject")
def reject(
    version_id: Annotated[int, typer.Argument(help="变更编号 / proposal #")],
    as_user: AsOpt,
    note: Annotated[str, typer.Option("--note", help="驳回理由 / why")],
    db: DbOpt = None,
) -> None:
    """驳回变更 / Refuse a proposal (an approver other than its proposer)."""
    _decide(version_id, as_user, False, note, db)
