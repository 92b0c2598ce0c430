"""`amlwatch rating`: customer risk rating (客户洗钱风险等级) — the rating models and a check of
the bank's own, a rating run on demand, the levels in force, one customer's factors, and the
register of every customer's level for the regulator's on-site inspection (xlsx)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from amlwatch import wiring
from amlwatch.cli.common import DbOpt, app, console, fail, parse_date

rating_app = typer.Typer(help="客户风险等级 / customer risk rating", no_args_is_help=True)
app.add_typer(rating_app, name="rating")


@rating_app.command("models")
def models(
    check: Annotated[
        Path | None,
        typer.Option(
            "--check", help="检查本行的模型文件 / check the bank's own model file", dir_okay=False
        ),
    ] = None,
) -> None:
    """评级模型 / The bundled rating models, or check a model file: its levels and factors."""
    from amlwatch.rating import GROUPS, available_models, load_model

    try:
        chosen = [load_model(check)] if check else [load_model(name) for name in available_models()]
    except Exception as error:
        fail(error)
    for model in chosen:
        console.print(
            f"[bold]{model.title}[/]（{model.label}，{model.digest}）：评估期 {model.window_days} 天"
        )
        levels = "、".join(
            f"{lv.name}（{lv.code}）≥{lv.min_score} 每{lv.review_months}月" for lv in model.levels
        )
        console.print(f"  等级 levels: {levels}")
        table = Table("代码", "因素 factor", "类别 group", "权重 weight")
        for f in model.factors:
            table.add_row(f.code, f.name, GROUPS[f.group], str(f.weight))
        console.print(table)
        for rule in model.hard_rules:
            console.print(
                f"  硬性规则 {rule.code} {rule.name} → 至少 {model.level(rule.level).name}（{rule.level}）"
            )


@rating_app.command("rate")
def rate(
    date: Annotated[
        str | None,
        typer.Option("--date", help="营业日 / business date [default: the latest loaded]"),
    ] = None,
    db: DbOpt = None,
) -> None:
    """评级 / Rate every customer as of a loaded date (what the night does after its scans)."""
    from amlwatch.stages.rating import rate_night

    try:
        with wiring.open_warehouse(db) as warehouse:
            loaded = warehouse.loaded_dates()
        day = parse_date(date) if date else (loaded[-1] if loaded else dt.date.today())
        rated = rate_night(day, db)
    except Exception as error:
        fail(error)
    levels = "，".join(f"{level} {n:,}" for level, n in rated.per_level.items())
    opened = "，".join(f"{why} {n}" for why, n in rated.opened.items()) or "无"
    console.print(f"{day}：{rated.customers:,} 名客户（{rated.model}）：{levels}；系统确认 {rated.confirmed:,}；"
                  f"新开复核 {opened}；{rated.seconds:.2f} 秒")  # fmt: skip


@rating_app.command("levels")
def levels(db: DbOpt = None) -> None:
    """现行等级 / Customers per level in force, and the rating reviews open and overdue."""
    with wiring.open_review(db) as review:
        in_force, open_reviews = review.rating_state()
        model = review.rating_model
        today = review.today()
        overdue = sum(1 for *_, due in in_force if due < today)
    table = Table("代码 code", "等级 level", "客户 customers", "复评周期（月）")
    for level in model.levels:
        n = sum(1 for _, code, *_ in in_force if code == level.code)
        table.add_row(level.code, level.name, f"{n:,}", str(level.review_months))
    console.print(table)
    console.print(
        f"待处理评级复核 open reviews: {len(open_reviews):,}；复评日期已过 reviews past due: {overdue:,}"
    )


@rating_app.command("show")
def show(
    customer: Annotated[str, typer.Argument(help="客户号 / customer number")], db: DbOpt = None
) -> None:
    """客户评分 / One customer's newest scores: each factor's score and weight, the hard rules."""
    from amlwatch.rating import load_model
    from amlwatch.warehouse.rating import latest_scores

    model = load_model(wiring.settings().rating_model)
    with wiring.open_warehouse(db) as warehouse:
        found = latest_scores(warehouse, [customer])
    if not found:
        fail(LookupError(f"{customer}: 尚无评分 / not scored yet (amlwatch rating rate)"))
    row = found[0]
    console.print(f"{customer}：{row['scored_on']} 评分 {row['score']}，模型评定 "
                  f"{model.level(row['level']).name}（{row['level']}）（{row['model']}）")  # fmt: skip
    table = Table("代码", "因素 factor", "得分 score", "权重 weight", "加权 weighted")
    for factor, score in zip(model.factors, row["factors"], strict=False):
        table.add_row(
            factor.code, factor.name, str(score), str(factor.weight), str(score * factor.weight)
        )
    console.print(table)
    for k, rule in enumerate(model.hard_rules):
        if int(row["rules"]) >> k & 1:
            console.print(f"硬性规则 {rule.code} {rule.name} → 至少 {model.level(rule.level).name}")


@rating_app.command("export")
def export(
    out: Annotated[
        Path, typer.Option("--out", help="xlsx 文件 / the workbook to write", dir_okay=False)
    ],
    as_user: Annotated[
        str, typer.Option("--as", help="导出人（审批人、审计人员或管理员）/ who exports")
    ],
    db: DbOpt = None,
) -> None:
    """导出 / Every customer's level in force, for the regulator's on-site inspection (xlsx)."""
    from amlwatch.web.routes.rating import rating_workbook

    try:
        with wiring.open_review(db) as review:
            rows = review.rating_register(review.rating_user(as_user))
            out.write_bytes(rating_workbook(review.rating_model, rows, review.level_name))
    except Exception as error:
        fail(error)
    console.print(f"{out}：{len(rows):,} 名客户的现行风险等级 / customers' levels in force")
