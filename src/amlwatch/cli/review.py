"""The case review: the web app, its first administrator, the audit trail, case intake."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from amlwatch import wiring
from amlwatch.cli.common import (
    DbOpt,
    app,
    audit_app,
    cases_app,
    console,
    err,
    fail,
    parse_date,
    users_app,
)
from amlwatch.settings import Settings


@app.command()
def web(
    host: Annotated[str | None, typer.Option(help="监听地址 / bind address")] = None,
    port: Annotated[int | None, typer.Option(help="端口 / port")] = None,
    workers: Annotated[int, typer.Option(min=1, help="进程数 / app processes")] = 1,
    db: DbOpt = None,
) -> None:
    """审查系统 / Start the case review web app (Ctrl-C stops).

    Create the first administrator with `amlwatch users create-admin`; they add the other
    users. Behind anything but loopback, put it behind HTTPS (a reverse proxy).
    """
    import uvicorn

    settings = wiring.settings()
    bind, listen = host or settings.web_host, port or settings.web_port
    console.print(f"amlwatch review app on http://{bind}:{listen}/ (Ctrl-C stops)")
    if workers == 1:
        uvicorn.run(web_app(db, settings), host=bind, port=listen, **server_options(settings))
        return
    if db is not None:
        os.environ["AMLWATCH_DB"] = str(db)  # the worker processes read their settings
    uvicorn.run(
        "amlwatch.cli.review:web_app",
        factory=True,
        host=bind,
        port=listen,
        workers=workers,
        **server_options(settings),
    )


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for the review app: no banner naming the server software, and
    forwarded headers believed only from the configured proxies (uvicorn would trust any
    loopback client's X-Forwarded-For: a local client could claim any address)."""
    proxies = [p.strip() for p in settings.web_trusted_proxies.split(",") if p.strip()]
    return {
        "log_level": "warning",
        "server_header": False,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or [],
    }


@users_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="用户名 / user name (a-z0-9_.-)")],
    name: Annotated[str, typer.Option("--name", help="姓名 / display name")],
    db: DbOpt = None,
    additional: Annotated[
        bool,
        typer.Option(
            "--additional",
            help="另增管理员（服务器控制台上的第二人；须首次登录改密）/ another administrator, "
            "added at the server's console (the second person); changes the password at first login",
        ),
    ] = False,
) -> None:
    """创建首个管理员 / Create the first administrator (refused once one exists, unless
    `--additional`: in the app a new administrator waits for a second existing one).

    The password is asked for twice and never echoed (or read from AMLWATCH_ADMIN_PASSWORD).
    """
    import getpass

    secret = wiring.settings().admin_password
    password = (secret.get_secret_value() if secret else "") or typer.prompt(
        "密码 / password (12+ characters, 3 kinds)", hide_input=True, confirmation_prompt=True
    )
    from amlwatch.stages.audit_trail import init_key

    try:
        # the key first: the trail is signed from its first entry (an existing key is kept)
        key = None if wiring.audit_key(db) is not None else init_key(db, username)
        with wiring.open_review(db) as review:
            user = review.bootstrap_admin(
                username, name, password, getpass.getuser() if additional else ""
            )
    except Exception as error:
        fail(error)
    console.print(
        f"已创建管理员 {user.username} / administrator created"
        + ("（首次登录须修改密码 / must change the password at first login）" if additional else "")
        + "；启动审核系统 / start the app: amlwatch web"
    )
    if key is not None:
        console.print(
            f"已创建审计密钥 / audit key created: {key}（请勿随数据库备份 / keep it out of the "
            "database's backups）"
        )


@audit_app.command("verify")
def audit_verify(db: DbOpt = None) -> None:
    """校验审计日志 / Check the audit trail: hash chain, MACs, checkpoints and the seals of
    cases, case events and users; exit 1 naming every problem found."""
    from amlwatch.stages.audit_trail import check as verify

    try:
        check = verify(db)
    except Exception as error:
        fail(error)
    if check.ok:
        how = "signed, MACs checked" if check.signed else "NOT signed: `amlwatch audit init-key`"
        console.print(f"audit chain intact: {check.entries:,} entries ({how})")
        return
    if check.broken_at is not None:
        err.print(
            f"[red]audit chain broken at entry {check.broken_at}: {escape(check.reason)} "
            f"({check.entries:,} entries read)[/]"
        )
    for problem in check.problems:
        err.print(f"[red]{escape(problem)}[/]", soft_wrap=True)
    raise typer.Exit(1)


@audit_app.command("init-key")
def audit_init_key(db: DbOpt = None) -> None:
    """创建审计密钥 / Create the audit key (a file of mode 0600, outside the case store): every
    audit entry from now on is MAC'd with it; seals what exists and takes the first checkpoint.
    Keep the key file out of the database's backups and its host's other users' reach."""
    import getpass

    from amlwatch.stages.audit_trail import init_key

    try:
        path = init_key(db, getpass.getuser())
    except Exception as error:
        fail(error)
    console.print(f"audit key created: {path}")


@audit_app.command("checkpoint")
def audit_checkpoint(db: DbOpt = None) -> None:
    """审计检查点 / Record the chain's head in the checkpoint file (the nightly run does it
    after every night) and print it, for a paper record."""
    from amlwatch.stages.audit_trail import take_checkpoint

    try:
        line = take_checkpoint(db)
    except Exception as error:
        fail(error)
    if line is None:
        fail(ValueError("没有审计密钥 / no audit key: `amlwatch audit init-key` first"))
    typer.echo(line)  # as the file holds it (tabs), for a paper record


@cases_app.command("open")
def cases_open(
    date: Annotated[str, typer.Option("--date", help="运行日期 / run date YYYY-MM-DD")],
    db: DbOpt = None,
) -> None:
    """生成案件 / Open or update the review cases of a run date's alerts (idempotent; the
    nightly run does this itself)."""
    from amlwatch.stages.cases import open_cases_of_run

    try:
        intake = open_cases_of_run(parse_date(date), db)
    except Exception as error:
        fail(error)
    console.print(
        f"{len(intake.opened)} opened ({len(intake.snoozed)} snoozed), {len(intake.extended)} "
        f"updated ({len(intake.reopened)} reopened), {len(intake.continuing)} continuing "
        f"(续报), {intake.unchanged} unchanged"
    )


def web_app(db: Path | None = None, settings: Settings | None = None) -> Any:
    """The review web app over the configured case store and reports folder (also uvicorn's
    factory when `amlwatch web --workers N` starts several processes)."""
    from amlwatch.cases.exceptions import InvalidInput
    from amlwatch.stages.cases import generate_case_report
    from amlwatch.stages.uploads import mark_uploaded, open_actions
    from amlwatch.stages.work_report import Period, write_work_report
    from amlwatch.web import create_app

    wiring.owner_only()
    settings = settings or wiring.settings()
    review = wiring.review_for(wiring.case_store(db, settings), settings, db)

    def work_report(r: Any, user: Any, text: str) -> Any:
        try:
            period = Period.parse(text)
        except ValueError as error:
            raise InvalidInput(str(error)) from None
        return write_work_report(period, db, None, r, user)

    return create_app(
        review,
        Path(settings.reports_dir),
        lambda r, user, case_id: generate_case_report(r, user, case_id),
        secure_cookies=settings.web_secure_cookies,
        make_work_report=work_report,
        mark_uploaded=lambda user, names: mark_uploaded(names, user.username, db),
        open_actions=lambda: _open_actions(open_actions, db, settings),
        standard_figures=lambda: _standard_figures(db, settings),
        network_structures=lambda night: _network_structures(db, settings, night),
    )


def _network_structures(
    db: Path | None, settings: Settings, night: dt.date | None
) -> tuple[dt.date | None, list[dict[str, Any]]]:
    from amlwatch.warehouse.network import latest_network_scan, network_hits_of

    quick = settings.model_copy(update={"lock_timeout_s": 0.5})
    try:
        with wiring.open_warehouse(db, quick, read_only=True) as warehouse:
            day = night or latest_network_scan(warehouse)
            return day, network_hits_of(warehouse, day) if day else []
    except Exception:  # the night holds the warehouse, or there is none yet: none to show
        return night, []


def _standard_figures(db: Path | None, settings: Settings) -> dict[str, Any]:
    from amlwatch.warehouse.standards import standard_figures

    quick = settings.model_copy(update={"lock_timeout_s": 0.5})
    try:
        with wiring.open_warehouse(db, quick, read_only=True) as warehouse:
            return standard_figures(warehouse)
    except Exception:  # the night holds the warehouse, or there is none yet: no figures
        return {}


def _open_actions(lister: Any, db: Path | None, settings: Settings) -> list[Any]:
    # a page must not wait for the night's hold on the warehouse: the unfiled-hits check
    # then says "unchecked" at once
    quick = settings.model_copy(update={"lock_timeout_s": 0.5})
    with wiring.open_ledger(db, quick) as ledger:
        return list(lister(ledger, wiring.today(), quick, db))
