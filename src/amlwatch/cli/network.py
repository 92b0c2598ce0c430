"""The network standards' structures (资金网络结构): money relayed through several of the
bank's customers, as the nightly network stage found it. Read only; account numbers masked."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from amlwatch import wiring
from amlwatch.cli.common import DbOpt, app, console, fail, mask, parse_date
from amlwatch.labels import STRUCTURE_ROLES
from amlwatch.rules import FAMILY_NAMES

network_app = typer.Typer(
    help="资金网络结构 / structures across customers found by the network standards",
    no_args_is_help=True,
)
app.add_typer(network_app, name="network")


@network_app.command("list")
def list_structures(
    date: Annotated[
        str | None, typer.Option("--date", help="扫描日 / night scanned [default: the latest]")
    ] = None,
    code: Annotated[str | None, typer.Option("--code", help="标准编号 / one standard")] = None,
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="结构数 / structures")] = 30,
    transfers: Annotated[
        bool, typer.Option("--transfers", help="逐笔列出转账 / each structure's transfers")
    ] = False,
) -> None:
    """结构清单 / The night's structures, strongest first: standard, shape, score, members
    with their roles, and (with --transfers) each transfer along the path."""
    from amlwatch.warehouse.network import latest_network_scan, network_hits_of

    with wiring.open_warehouse(db, read_only=True) as warehouse:
        night = parse_date(date) if date else latest_network_scan(warehouse)
        if night is None:
            fail(ValueError("尚无网络结构扫描 / no night has been scanned by a network standard"))
        structures = network_hits_of(warehouse, night, code)
    out = console if console.is_terminal else Console(width=160)
    table = Table(title=f"资金网络结构 Network structures {night} ({len(structures)})")
    for column in ("结构编号 structure", "形态 shape", "评分", "状态", "成员（角色）members",
                   "共用电话/地址/设备", "新开户", "笔数", "首笔/末笔 元", "时间 from~to"):  # fmt: skip
        table.add_column(column, no_wrap=column.startswith("结构"))
    for s in structures[:limit]:
        table.add_row(
            str(s["structure_id"]),
            f"{FAMILY_NAMES[str(s['shape'])]} {s['shape']}",
            f"{s['score']:.0f}",
            "试运行" if s["standard_status"] == "trial" else "生效",
            "、".join(
                f"{m['customer_id']}（{STRUCTURE_ROLES[str(m['role'])]}）" for m in s["members"]
            ),
            f"{s['shared_members']}/{s['member_count']}",
            f"{s['new_accounts']}/{s['account_count']}",
            str(s["edge_count"]),
            f"{s['first_amount']:,.2f} / {s['last_amount']:,.2f}",
            f"{s['first_at']:%m-%d %H:%M}~{s['last_at']:%m-%d %H:%M}",
        )
    out.print(table)
    if not transfers:
        return
    for s in structures[:limit]:
        steps = Table(title=f"{s['structure_id']} 转账 transfers")
        for column in ("#", "时间", "付款客户", "付款账户", "收款客户", "收款账户", "金额 元"):
            steps.add_column(column)
        for e in s["edges"]:
            steps.add_row(
                str(int(e["step"]) + 1),
                f"{e['booked_at']:%Y-%m-%d %H:%M}",
                str(e["payer_customer"]),
                mask(str(e["payer_account"])),
                str(e["payee_customer"]),
                mask(str(e["payee_account"])),
                f"{e['amount_cny']:,.2f}",
            )
        out.print(steps)
