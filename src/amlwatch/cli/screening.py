"""`amlwatch screening`: the sanctions and watch lists (名单监测) — import a list file as a new
version, the versions and what each changed, a full re-screening of every customer, and what
screening found. Identity and account numbers are masked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from amlwatch import wiring
from amlwatch.cli.common import DbOpt, app, console, fail, parse_date
from amlwatch.models import in_china
from amlwatch.screening import LIST_NAMES, REASONS, SUBJECT_KINDS

screening_app = typer.Typer(
    help="名单监测 / screening against sanctions and watch lists", no_args_is_help=True
)
app.add_typer(screening_app, name="screening")

ListOpt = Annotated[
    str,
    typer.Option(
        "--list", help="名单代码 / list code: UN, CN-CT, PBOC, INTERNAL or the bank's own"
    ),
]


def _wide() -> Console:
    return console if console.is_terminal else Console(width=170)


@screening_app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(help="名单文件 / UN XML, CSV or xlsx", exists=True, dir_okay=False)
    ],
    list_code: ListOpt,
    as_user: Annotated[
        str,
        typer.Option(
            "--as",
            help="导入人（审核系统的在用审批人或管理员）/ an active approver or administrator",
        ),
    ],
    file_format: Annotated[
        str | None,
        typer.Option("--format", help="un-xml / csv / xlsx [default: by the file's suffix]"),
    ] = None,
    db: DbOpt = None,
) -> None:
    """导入名单 / Import a list file as the list's next version (refused whole if malformed)."""
    from amlwatch.stages.screening import import_list

    try:
        version = import_list(file, list_code, as_user, db, file_format)
    except Exception as error:
        fail(error)
    name = LIST_NAMES.get(version.list_code, version.list_code)
    if version.unchanged:
        console.print(
            f"{name}（{version.list_code}）：文件与第 {version.version} 版相同，未生成新版本 / unchanged"
        )
        return
    console.print(
        f"{name}（{version.list_code}）第 {version.version} 版：{version.entries} 条；"
        f"新增 {version.added}、变更 {version.changed}、删除 {version.removed} / "
        f"version {version.version}: {version.entries} entries, +{version.added} ~{version.changed} "
        f"-{version.removed}; the next night screens every customer again"
    )
    for warning in version.warnings:
        console.print(f"[yellow]{warning}[/]", soft_wrap=True)


@screening_app.command("lists")
def lists(db: DbOpt = None) -> None:
    """名单版本 / Every version of every list: when, by whom, the file's SHA-256, the changes."""
    from amlwatch.warehouse.screening import list_versions

    with wiring.open_warehouse(db, read_only=True) as warehouse:
        versions = list_versions(warehouse)
    table = Table(title=f"名单版本 List versions ({len(versions)})")
    for column in (
        "名单 list",
        "版本",
        "导入时间（北京时间）",
        "导入人",
        "文件",
        "SHA-256",
        "条目",
        "新增",
        "变更",
        "删除",
    ):
        table.add_column(column)
    for v in versions:
        table.add_row(
            f"{LIST_NAMES.get(v.list_code, v.list_code)} {v.list_code}", str(v.version),
            f"{in_china(v.imported_at):%Y-%m-%d %H:%M}", v.imported_by, v.file, v.sha256[:16] + "…",
            str(v.entries), str(v.added), str(v.changed), str(v.removed),
        )  # fmt: skip
    _wide().print(table)


@screening_app.command("diff")
def diff(
    list_code: ListOpt,
    old: Annotated[
        int | None, typer.Option("--from", help="旧版本 [default: the one before]")
    ] = None,
    new: Annotated[int | None, typer.Option("--to", help="新版本 [default: the latest]")] = None,
    db: DbOpt = None,
) -> None:
    """版本差异 / What a version of a list added, changed and removed against another."""
    from amlwatch.warehouse.screening import list_diff, list_versions

    with wiring.open_warehouse(db, read_only=True) as warehouse:
        versions = list_versions(warehouse, list_code.upper())
        if not versions:
            fail(ValueError(f"名单 {list_code} 尚未导入 / no version of list {list_code}"))
        to = new or versions[0].version
        since = old if old is not None else to - 1
        changes = list_diff(warehouse, list_code.upper(), since, to)
    console.print(f"{changes.list_code} 第 {since} 版 → 第 {to} 版 / version {since} → {to}")
    for label, refs in (
        ("新增 added", changes.added),
        ("变更 changed", changes.changed),
        ("删除 removed", changes.removed),
    ):
        console.print(f"{label}（{len(refs)}）: {' '.join(refs) or '—'}", soft_wrap=True)


@screening_app.command("rescreen")
def rescreen_all(
    date: Annotated[
        str | None, typer.Option("--date", help="记为哪日的筛查 [default: today]")
    ] = None,
    db: DbOpt = None,
) -> None:
    """全量重新筛查 / Screen every customer against the lists in force now."""
    from amlwatch.stages.screening import rescreen

    day = parse_date(date) if date else wiring.today()
    try:
        screened = rescreen(day, db)
    except Exception as error:
        fail(error)
    if not screened.lists:
        fail(ValueError("尚未导入任何名单 / no list has been imported (amlwatch screening import)"))
    console.print(
        f"{day} 名单 {screened.lists}：筛查 {screened.subjects.get('rescreen', 0)} 个候选主体，"
        f"疑似命中 {screened.hits}，待核实 {screened.review}（{screened.seconds:.1f} 秒）"
    )


@screening_app.command("matches")
def matches(
    date: Annotated[str | None, typer.Option("--date", help="筛查日 [default: all]")] = None,
    band: Annotated[
        str | None, typer.Option("--band", help="hit（疑似命中）/ review（待核实）")
    ] = None,
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="行数 / rows")] = 50,
) -> None:
    """筛查结果 / What screening found, strongest first, with the reasons."""
    from amlwatch.warehouse.screening import matches_of

    with wiring.open_warehouse(db, read_only=True) as warehouse:
        rows = matches_of(warehouse, parse_date(date) if date else None, band)
    table = Table(title=f"名单筛查结果 Screening matches ({len(rows)})")
    for column in (
        "筛查日",
        "主体 party",
        "客户号",
        "名称",
        "名单条目 entry",
        "名单名称",
        "评分",
        "结果",
        "依据 reasons",
    ):
        table.add_column(column)
    for r in rows[:limit]:
        reasons = "、".join(
            f"{REASONS.get(code, code)} {code}" for code in str(r["reasons"]).split()
        )
        table.add_row(
            str(r["screened_on"]), SUBJECT_KINDS.get(str(r["subject_kind"]), str(r["subject_kind"])),
            str(r["customer_id"] or ""), str(r["subject_name"]), f"{r['list_code']} {r['entry_ref']}",
            str(r["entry_name"]), str(r["score"]), "疑似命中" if r["band"] == "hit" else "待核实", reasons,
        )  # fmt: skip
    _wide().print(table)
