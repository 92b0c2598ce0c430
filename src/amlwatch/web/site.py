"""What every route of the review app shares: the use cases, the templates, the session and
CSRF checks, the thread-pool POST bodies and rendering. Routes read the form, call one
`Review` use case (which checks access and writes the audit log) and render."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from amlwatch.cases import Review
from amlwatch.cases.exceptions import Forbidden, InvalidInput
from amlwatch.models import Role, User
from amlwatch.web.present import FLASH

SESSION_COOKIE = "amlw_session"
LOGIN_CSRF_COOKIE = "amlw_login"
ReportMaker = Callable[[Review, User, int], Any]
# (review, user, period text) → the files written (`.pdf`, `.workbook`)
WorkReportMaker = Callable[[Review, User, str], Any]
# (user, file or package names) → the records marked uploaded (and their files archived)
UploadMarker = Callable[[User, list[str]], Any]
# the open items of the regulator files: `name`, `status`, `what`, `due`, `overdue` each
ActionLister = Callable[[], Sequence[Any]]
# each monitoring standard's figures (hits, alerts, trial alerts, customers) by code
FiguresReader = Callable[[], dict[str, Any]]
# the network standards' structures of a night (the latest: None) → (the night, its structures)
StructureReader = Callable[[dt.date | None], tuple[dt.date | None, list[dict[str, Any]]]]
ACTIONS_MAX_AGE_S = 60.0
PostBody = Callable[..., Response]


class NotLoggedIn(Exception):
    """No live session."""


class MustChangePassword(Exception):
    """The session's password was set by an administrator: nothing before it is changed."""


PASSWORD_PATHS = frozenset({"/account", "/account/password", "/logout"})


@dataclass(slots=True)
class Site:
    """The app, its use cases and where the nightly run writes its reports."""

    app: FastAPI
    review: Review
    reports_dir: Path
    make_report: ReportMaker
    templates: Jinja2Templates
    secure_cookies: bool = True
    make_work_report: WorkReportMaker | None = None
    mark_uploaded: UploadMarker | None = None
    open_actions: ActionLister | None = None
    standard_figures: FiguresReader | None = None
    network_structures: StructureReader | None = None
    _actions: tuple[float, list[Any]] = (0.0, [])  # the last listing and when it was made

    def actions(self) -> list[Any]:
        """The regulator files' open items, overdue first (at most a minute old: every page's
        header counts the overdue ones)."""
        if self.open_actions is None:
            return []
        made, listed = self._actions
        if time.monotonic() - made > ACTIONS_MAX_AGE_S:
            listed = list(self.open_actions())
            self._actions = (time.monotonic(), listed)
        return listed

    def current(self, request: Request) -> tuple[User, str]:
        """The logged-in user and the session's CSRF token."""
        token = request.cookies.get(SESSION_COOKIE)
        found = self.review.session(token) if token else None
        if found is None:
            raise NotLoggedIn
        if found[0].must_change_password and request.url.path not in PASSWORD_PATHS:
            raise MustChangePassword  # an administrator set it: only the owner may go on
        return found

    @staticmethod
    def form_of(form: FormData, csrf: str) -> dict[str, Any]:
        """The posted fields, once the form's CSRF token matches the session's."""
        sent = str(form.get("csrf", ""))
        if not secrets.compare_digest(sent, csrf):
            raise Forbidden("表单已失效，请刷新页面后重试 / CSRF token missing or wrong")
        return {k: form.getlist(k) if k.endswith("[]") else form.get(k) for k in form}

    def posted(self, path: str) -> Callable[[PostBody], PostBody]:
        """Register a POST handler whose body runs in the thread pool (it hashes passwords and
        talks to the database: it must not stall the event loop), after the form is read."""

        def register(body: PostBody) -> PostBody:
            async def handler(request: Request) -> Response:
                form = await request.form()
                return await run_in_threadpool(body, request, form, **request.path_params)

            self.app.post(path)(handler)
            return body

        return register

    def render(
        self,
        request: Request,
        name: str,
        user: User | None,
        csrf: str = "",
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        return self.templates.TemplateResponse(
            request,
            name,
            {
                "user": user,
                "csrf": csrf,
                "today": self.review.today(),
                "flash": FLASH.get(request.query_params.get("done", "")),
                # next year's schedule: for the administrators, who can load it
                "calendar_notice": (
                    self.review.calendar_notice() if user and user.role is Role.ADMIN else None
                ),
                "overdue": self._overdue(user),
                # open screening cases (名单监测): every page's header says so first
                "screening_open": sum(self.review.screening_counts(user).values()) if user else 0,
                "screening_overdue": sum(
                    c.report_due is not None and c.report_due < self.review.today()
                    for c in (self.review.screening_reports_due(user) if user else [])
                ),
                # rating reviews (客户风险等级): open ones and those past their due date
                "rating_open": self.review.rating_counts(user) if user else {},
                "people": self.review.people(user) if user else {},
                "branch_names": self.review.branch_names,
                **context,
            },
            status_code=status,
        )

    def _overdue(self, user: User | None) -> int:
        """How many regulator items are past their deadline, for those who file (approvers)
        and oversee (auditors)."""
        if user is None or user.role.value not in ("approver", "auditor"):
            return 0
        return sum(bool(a.overdue) for a in self.actions())


def local(target: str) -> str:
    """Only paths of this app after login: no open redirect."""
    return target if target.startswith("/") and not target.startswith("//") else "/cases"


def parse_date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("日期格式应为 YYYY-MM-DD / date as YYYY-MM-DD") from None
