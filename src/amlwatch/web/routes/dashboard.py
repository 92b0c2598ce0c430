"""The dashboard of alerts and standards, and snooze requests."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from amlwatch.cases.exceptions import NotFound
from amlwatch.web import svg
from amlwatch.web.site import Site, parse_date


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, form_of, posted, render = site.current, site.form_of, site.posted, site.render

    @app.get("/dashboard")
    def dashboard(request: Request, days: int = 30, until: str = "") -> Response:
        user, csrf = current(request)
        end = parse_date(until) if until else None
        board = review.dashboard(user, min(max(days, 7), 366), end)
        return render(
            request,
            "dashboard.html",
            user,
            csrf,
            board=board,
            per_day=svg.bars_by_day(board.per_day),
            per_rule=svg.bars_by_rule(
                board.per_rule, {r["rule_code"]: r["rule_name"] for r in board.rules}
            ),
        )

    @app.get("/work-report")
    def work_report(request: Request, period: str = "", format: str = "pdf") -> Response:
        """The leading group's work report of a month (2026-10) or quarter (2026Q4)."""
        user, _ = current(request)
        if site.make_work_report is None:
            raise NotFound("未配置工作报告 / no work report here")
        if format not in ("pdf", "xlsx"):
            raise NotFound("格式为 pdf 或 xlsx / pdf or xlsx")
        files = site.make_work_report(review, user, period)
        path = files.pdf if format == "pdf" else files.workbook
        return FileResponse(path, filename=path.name)

    @app.get("/snoozes")
    def snoozes(request: Request) -> Response:
        user, csrf = current(request)
        return render(request, "snoozes.html", user, csrf, snoozes=review.snoozes(user))

    @posted("/snoozes/{snooze_id:int}/{verdict}")
    def decide_snooze(request: Request, form: FormData, snooze_id: int, verdict: str) -> Response:
        user, csrf = current(request)
        form_of(form, csrf)
        if verdict not in ("approve", "reject"):
            raise NotFound("无此操作 / no such action")
        review.decide_snooze(user, snooze_id, verdict == "approve")
        return RedirectResponse(f"/snoozes?done={verdict}", 303)
