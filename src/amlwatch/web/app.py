"""The review web app: FastAPI, pages rendered on the server, Chinese interface.

Routes (`web/routes/`, one module per area) are thin: they read the form, call one `Review`
use case (which checks access and writes the audit log) and render. Domain errors become
HTTP answers in one place (`_case_error`). Sessions live in the case store; every form
carries the session's CSRF token; cookies are HttpOnly, SameSite=Strict and Secure.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from amlwatch.cases import CaseError, Review
from amlwatch.cases.exceptions import (
    Forbidden,
    FourEyes,
    InvalidInput,
    LoginFailed,
    NotFound,
    WrongState,
)
from amlwatch.web import present
from amlwatch.web.routes import (
    admin,
    audit,
    auth,
    cases,
    dashboard,
    large_value,
    network,
    rating,
    screening,
    standards,
    uploads,
    work,
)
from amlwatch.web.site import (
    ActionLister,
    FiguresReader,
    MustChangePassword,
    NotLoggedIn,
    ReportMaker,
    Site,
    StructureReader,
    UploadMarker,
    WorkReportMaker,
)

HERE = Path(__file__).parent

logger = logging.getLogger(__name__)
_STATUS = {
    NotFound: 404,
    Forbidden: 403,
    FourEyes: 403,
    WrongState: 409,
    InvalidInput: 400,
    LoginFailed: 401,
}
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # monitoring results stay out of shared caches
}


def _secure(request: Request, response: Response) -> None:
    """The security headers, on every answer; HSTS when the browser came over HTTPS (behind a
    trusted proxy, uvicorn sets the scheme from its X-Forwarded-Proto)."""
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.url.scheme == "https":
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if "server" in response.headers:
        del response.headers["server"]


def create_app(
    review: Review,
    reports_dir: Path,
    make_report: ReportMaker,
    secure_cookies: bool = True,
    make_work_report: WorkReportMaker | None = None,
    mark_uploaded: UploadMarker | None = None,
    open_actions: ActionLister | None = None,
    standard_figures: FiguresReader | None = None,
    network_structures: StructureReader | None = None,
) -> FastAPI:
    """The review app over one `Review`.

    Args:
        review: the use cases (case store, calendar, code tables).
        reports_dir: where the nightly run writes `reports/<date>/` and case reports go.
        make_report: writes an approved case's report (tables + BSTR XML), e.g.
            `amlwatch.stages.cases.generate_case_report`.
        secure_cookies: cookies only over HTTPS (browsers accept them from localhost too).
        make_work_report: writes the leading group's work report of a period (PDF, xlsx),
            e.g. `amlwatch.stages.work_report.write_work_report`; without it, no download.
        mark_uploaded: records files as uploaded and archives them
            (`amlwatch.stages.uploads.mark_uploaded`); without it, the register is read-only.
        open_actions: lists the regulator files' open items with their deadlines
            (`amlwatch.stages.uploads.open_actions`): the header counts the overdue ones, the
            register lists them all.
        standard_figures: each monitoring standard's hits and alerts from the warehouse
            (`amlwatch.warehouse.standards.standard_figures`); without it, zeros.
        network_structures: a night's structures of the network standards from the warehouse
            (`amlwatch.warehouse.network.network_hits_of`); without it, none.
    """
    app = FastAPI(title="amlwatch 可疑交易审查", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters.update(present.FILTERS)
    templates.env.globals.update(present.GLOBALS)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    site = Site(
        app,
        review,
        reports_dir,
        make_report,
        templates,
        secure_cookies,
        make_work_report,
        mark_uploaded,
        open_actions,
        standard_figures=standard_figures,
        network_structures=network_structures,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        _secure(request, response)
        return response

    @app.exception_handler(NotLoggedIn)
    async def _login_first(request: Request, _: NotLoggedIn) -> Response:
        if request.method == "GET":
            return RedirectResponse("/login?" + urlencode({"next": request.url.path}), 303)
        return HTMLResponse("请先登录 / log in first", 401)

    @app.exception_handler(MustChangePassword)
    async def _change_password_first(request: Request, _: MustChangePassword) -> Response:
        if request.method == "GET":
            return RedirectResponse("/account", 303)
        return HTMLResponse("请先修改密码 / change your password first", 403)

    @app.exception_handler(CaseError)
    async def _case_error(request: Request, error: CaseError) -> Response:
        status = _STATUS.get(type(error), 400)
        user = None
        try:
            user, csrf = await run_in_threadpool(site.current, request)
        except (NotLoggedIn, MustChangePassword):
            csrf = ""
        if user is not None and status in (403, 404):  # probes of what one may not see
            await run_in_threadpool(
                review.record_refused, user, request.method, request.url.path, status
            )
        return site.render(request, "error.html", user, csrf, status=status, message=str(error))

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, error: RequestValidationError) -> Response:
        return site.render(
            request, "error.html", None, status=400, message="请求参数无效 / bad request"
        )

    @app.exception_handler(Exception)
    async def _server_error(request: Request, error: Exception) -> Response:
        # outside the middleware: the security headers are set here
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        response = site.render(
            request,
            "error.html",
            None,
            status=500,
            message="系统内部错误，已记录；请稍后重试或联系系统管理员 / internal error",
        )
        _secure(request, response)
        return response

    for area in (
        auth,
        cases,
        work,
        large_value,
        dashboard,
        uploads,
        audit,
        admin,
        standards,
        network,
        screening,
        rating,
    ):
        area.register(site)
    app.state.review = review
    return app
