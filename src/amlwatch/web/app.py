"""The review web app: FastAPI, pages rendered on the server, Chinese interface.

Handlers are thin: they read the form, call one `Review` use case (which checks access and
writes the audit log) and render. Domain errors become HTTP answers in one place
(`_case_error`). Sessions live in the case store; every form carries the session's CSRF
token; cookies are HttpOnly, SameSite=Strict and Secure.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from amlwatch.cases import CaseError, CaseFilter, Review
from amlwatch.cases.audit import entries as audit_entries
from amlwatch.cases.audit import verify as verify_chain
from amlwatch.cases.exceptions import (
    Forbidden,
    FourEyes,
    InvalidInput,
    LoginFailed,
    NotFound,
    WrongState,
)
from amlwatch.cases.workflow import TO_REPORT
from amlwatch.models import CaseState, Role, User
from amlwatch.web import present, svg

HERE = Path(__file__).parent
SESSION_COOKIE = "amlw_session"
LOGIN_CSRF_COOKIE = "amlw_login"
PAGE_SIZE = 50
ReportMaker = Callable[[Review, User, int], Any]
PostBody = Callable[..., Response]

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


class NotLoggedIn(Exception):
    """No live session."""


def create_app(
    review: Review,
    reports_dir: Path,
    make_report: ReportMaker,
    secure_cookies: bool = True,
) -> FastAPI:
    """The review app over one `Review`.

    Args:
        review: the use cases (case store, calendar, code tables).
        reports_dir: where the nightly run writes `reports/<date>/` and case reports go.
        make_report: writes an approved case's report (tables + BSTR XML), e.g.
            `amlwatch.casework.generate_case_report`.
        secure_cookies: cookies only over HTTPS (browsers accept them from localhost too).
    """
    app = FastAPI(title="amlwatch 可疑交易审查", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters.update(present.FILTERS)
    templates.env.globals.update(present.GLOBALS)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    # --- sessions, CSRF, rendering -------------------------------------------------------

    def current(request: Request) -> tuple[User, str]:
        token = request.cookies.get(SESSION_COOKIE)
        found = review.session(token) if token else None
        if found is None:
            raise NotLoggedIn
        return found

    def form_of(form: FormData, csrf: str) -> dict[str, Any]:
        sent = str(form.get("csrf", ""))
        if not secrets.compare_digest(sent, csrf):
            raise Forbidden("表单已失效，请刷新页面后重试 / CSRF token missing or wrong")
        return {k: form.getlist(k) if k.endswith("[]") else form.get(k) for k in form}

    def posted(path: str) -> Callable[[PostBody], PostBody]:
        """Register a POST handler whose body runs in the thread pool (it hashes passwords and
        talks to the database: it must not stall the event loop), after the form is read."""

        def register(body: PostBody) -> PostBody:
            async def handler(request: Request) -> Response:
                form = await request.form()
                return await run_in_threadpool(body, request, form, **request.path_params)

            app.post(path)(handler)
            return body

        return register

    def render(
        request: Request,
        name: str,
        user: User | None,
        csrf: str = "",
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        today = review.today()
        return templates.TemplateResponse(
            request,
            name,
            {
                "user": user,
                "csrf": csrf,
                "today": today,
                "flash": request.query_params.get("done"),
                **context,
            },
            status_code=status,
        )

    @app.exception_handler(NotLoggedIn)
    async def _login_first(request: Request, _: NotLoggedIn) -> Response:
        if request.method == "GET":
            return RedirectResponse("/login?" + urlencode({"next": request.url.path}), 303)
        return HTMLResponse("请先登录 / log in first", 401)

    @app.exception_handler(CaseError)
    async def _case_error(request: Request, error: CaseError) -> Response:
        status = _STATUS.get(type(error), 400)
        user = None
        try:
            user, csrf = await run_in_threadpool(current, request)
        except NotLoggedIn:
            csrf = ""
        return render(request, "error.html", user, csrf, status=status, message=str(error))

    # --- login ---------------------------------------------------------------------------

    @app.get("/login")
    def login_page(request: Request, next: str = "/cases") -> Response:
        token = secrets.token_urlsafe(24)
        response = render(request, "login.html", None, token, next=_local(next))
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            httponly=True,
            secure=secure_cookies,
            samesite="strict",
            max_age=900,
        )
        return response

    @posted("/login")
    def login(request: Request, form: FormData) -> Response:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        sent = str(form.get("csrf", ""))
        if not expected or not secrets.compare_digest(sent, expected):
            raise Forbidden("登录页已失效，请刷新 / reload the login page")
        try:
            _, token, _ = review.login(
                str(form.get("username", "")).strip(), str(form.get("password", ""))
            )
        except LoginFailed as error:
            return render(
                request,
                "login.html",
                None,
                expected,
                status=401,
                message=str(error),
                next=_local(str(form.get("next", "/cases"))),
            )
        response = RedirectResponse(_local(str(form.get("next", "/cases"))), 303)
        response.set_cookie(
            SESSION_COOKIE, token, httponly=True, secure=secure_cookies, samesite="strict"
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @posted("/logout")
    def logout(request: Request, form: FormData) -> Response:
        _, csrf = current(request)
        form_of(form, csrf)
        review.logout(request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/")
    def home(request: Request) -> Response:
        user, _ = current(request)
        return RedirectResponse("/admin/users" if user.role is Role.ADMIN else "/cases", 303)

    # --- the flagged list and the case page ------------------------------------------------

    @app.get("/cases")
    def case_list(
        request: Request,
        rule: str = "",
        branch: str = "",
        state: str = "",
        due: str = "",
        snoozed: str = "0",
        page: int = 1,
    ) -> Response:
        user, csrf = current(request)
        today = review.today()
        states: tuple[CaseState, ...] = ()
        if state == "open":
            states = (CaseState.NEW, CaseState.IN_REVIEW, CaseState.PROPOSED)
        elif state:
            try:
                states = (CaseState(state),)
            except ValueError:
                raise InvalidInput("无此状态 / unknown state") from None
        due_by = None
        if due in ("overdue", "soon"):
            states = states or (*TO_REPORT, CaseState.CORRECTION_REQUESTED, CaseState.REJECTED)
            due_by = (
                today - dt.timedelta(days=1)
                if due == "overdue"
                else review.add_working_days(today, 2)
            )
        flt = CaseFilter(
            rule_code=rule or None,
            branch_code=branch or None,
            states=states,
            due_by=due_by,
            snoozed={"0": False, "1": True}.get(snoozed),
        )
        page = max(page, 1)
        found = review.list_cases(user, flt, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        query = {"rule": rule, "branch": branch, "state": state, "due": due, "snoozed": snoozed}
        return render(
            request,
            "cases.html",
            user,
            csrf,
            page=found,
            filters=query,
            number=page,
            pages=max(1, -(-found.total // PAGE_SIZE)),
            query=urlencode({k: v for k, v in query.items() if v}),
        )

    @app.get("/cases/{case_id}")
    def case_page(request: Request, case_id: int, version: int | None = None) -> Response:
        user, csrf = current(request)
        view = review.view_case(user, case_id, version)
        evidence = view.evidence.get("evidence", [])
        subject = (view.evidence.get("subjects") or [{}])[0]
        return render(
            request,
            "case.html",
            user,
            csrf,
            view=view,
            case=view.case,
            alert=view.evidence.get("alert", {}),
            subject=subject,
            evidence=evidence,
            flow=svg.money_flow(view.case.customer_name, evidence),
            reasons=review.dismissal_reasons(),
            crime_types=review.crime_types,
            levels=review.review_levels(),
            files=_case_files(reports_dir, view.case.id) if "download" in view.allowed else [],
        )

    def decide(path: str, action: Callable[[User, int, dict[str, Any]], Any]) -> None:
        def body(request: Request, form: FormData, case_id: int) -> Response:
            user, csrf = current(request)
            action(user, case_id, form_of(form, csrf))
            return RedirectResponse(f"/cases/{case_id}?done={path}", 303)

        posted(f"/cases/{{case_id:int}}/{path}")(body)

    decide("start", lambda u, c, f: review.start_review(u, c))
    decide(
        "dismiss",
        lambda u, c, f: review.dismiss(u, c, str(f.get("reason") or ""), str(f.get("text") or "")),
    )
    decide(
        "propose",
        lambda u, c, f: review.propose(
            u,
            c,
            str(f.get("stcb") or ""),
            str(f.get("aosp") or ""),
            [str(x) for x in f.get("crime_types[]") or []],
            str(f.get("urgency") or ""),
        ),
    )

    def approve(user: User, case_id: int, form: dict[str, Any]) -> None:
        case = review.approve(user, case_id, str(form.get("note") or ""))
        if case.state is CaseState.APPROVED:
            make_report(review, user, case_id)

    decide("approve", approve)
    decide("send-back", lambda u, c, f: review.send_back(u, c, str(f.get("reason") or "")))
    decide("generate", lambda u, c, f: make_report(review, u, c))
    decide("submitted", lambda u, c, f: review.mark_submitted(u, c))
    decide(
        "snooze",
        lambda u, c, f: review.request_snooze(
            u, c, _date(f.get("until")), str(f.get("reason") or "")
        ),
    )

    @app.get("/cases/{case_id}/files/{name}")
    def case_file(request: Request, case_id: int, name: str) -> Response:
        user, _ = current(request)
        review.case_for_download(user, case_id)
        files = {p.name: p for p in _case_files(reports_dir, case_id)}
        if name not in files:
            raise NotFound("无此文件 / no such file")
        review.record_download(user, "case report", f"case:{case_id}/{name}")
        return FileResponse(files[name], filename=name)

    # --- large-value reports ---------------------------------------------------------------

    @app.get("/large-value")
    def large_value_days(request: Request) -> Response:
        user, csrf = current(request)
        if user.role is Role.ADMIN:
            raise Forbidden("无此权限 / your role does not allow this")
        days = sorted(
            (p.parent.name for p in reports_dir.glob("*/large_value_report_*.csv")), reverse=True
        )
        return render(request, "large_value_days.html", user, csrf, days=days)

    @app.get("/large-value/{day}")
    def large_value(request: Request, day: str, download: str = "") -> Response:
        user, csrf = current(request)
        date = _date(day)
        path = reports_dir / date.isoformat() / f"large_value_report_{date:%Y%m%d}.csv"
        if not path.exists():
            raise NotFound("该日无大额交易报告 / no large-value report for that day")
        branches = review.open_large_value_report(user, date)
        header, tags, rows = _read_report(path)
        branch_at = tags.index("FINC") if "FINC" in tags else None
        if branches is not None and branch_at is not None:
            rows = [r for r in rows if r[branch_at] in branches]
        if download == "csv":
            review.record_download(user, "large-value csv", f"large-value:{date}")
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerows([header, tags, *rows])
            return Response(
                "\ufeff" + out.getvalue(),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{path.name}"'},
            )
        if download == "xlsx":
            if branches is not None:
                raise Forbidden("分行用户请下载 CSV（仅含本行数据）/ branch users download CSV")
            review.record_download(user, "large-value xlsx", f"large-value:{date}")
            return FileResponse(path.with_suffix(".xlsx"), filename=path.with_suffix(".xlsx").name)
        masked = {tags.index(t) for t in ("CTID", "CTAC", "TCAC") if t in tags}
        shown = [[present.mask(v) if i in masked else v for i, v in enumerate(r)] for r in rows]
        return render(
            request,
            "large_value.html",
            user,
            csrf,
            day=date,
            header=header,
            tags=tags,
            rows=shown,
            restricted=branches is not None,
        )

    # --- dashboard, snoozes, audit ---------------------------------------------------------

    @app.get("/dashboard")
    def dashboard(request: Request, days: int = 30) -> Response:
        user, csrf = current(request)
        board = review.dashboard(user, min(max(days, 7), 366))
        return render(
            request,
            "dashboard.html",
            user,
            csrf,
            board=board,
            per_day=svg.bars_by_day(board.per_day),
            per_rule=svg.bars_by_rule(board.per_rule),
        )

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

    @app.get("/audit")
    def audit_log(
        request: Request, action: str = "", username: str = "", before: int | None = None
    ) -> Response:
        user, csrf = current(request)
        review.require_audit_reader(user)
        rows = audit_entries(review.store, 200, before, action or None, username or None)
        check = verify_chain(review.store) if request.query_params.get("verify") else None
        review.record_download(user, "audit log view", "audit")
        return render(
            request,
            "audit.html",
            user,
            csrf,
            rows=rows,
            check=check,
            filters={"action": action, "username": username},
        )

    # --- administration --------------------------------------------------------------------

    @app.get("/admin/users")
    def users(request: Request) -> Response:
        user, csrf = current(request)
        return render(
            request,
            "users.html",
            user,
            csrf,
            users=review.users(user),
            roles=list(Role),
            levels=review.review_levels(),
            reasons=review.dismissal_reasons(active_only=False),
        )

    @posted("/admin/users")
    def create_user(request: Request, raw: FormData) -> Response:
        user, csrf = current(request)
        form = form_of(raw, csrf)
        try:
            role = Role(str(form.get("role") or ""))
        except ValueError:
            raise InvalidInput("无此角色 / unknown role") from None
        review.create_user(
            user,
            str(form.get("username") or "").strip(),
            str(form.get("display_name") or ""),
            role,
            str(form.get("password") or ""),
            _branch_list(form.get("branches")),
        )
        return RedirectResponse("/admin/users?done=created", 303)

    @posted("/admin/users/{user_id:int}/{what}")
    def change_user(request: Request, raw: FormData, user_id: int, what: str) -> Response:
        user, csrf = current(request)
        form = form_of(raw, csrf)
        if what == "branches":
            review.set_branches(user, user_id, _branch_list(form.get("branches")))
        elif what == "active":
            review.set_active(user, user_id, form.get("active") == "1")
        elif what == "password":
            review.reset_password(user, user_id, str(form.get("password") or ""))
        else:
            raise NotFound("无此操作 / no such action")
        return RedirectResponse(f"/admin/users?done={what}", 303)

    @posted("/admin/reasons")
    def put_reason(request: Request, raw: FormData) -> Response:
        user, csrf = current(request)
        form = form_of(raw, csrf)
        review.put_reason(
            user,
            str(form.get("code") or ""),
            str(form.get("label") or ""),
            form.get("active", "1") == "1",
        )
        return RedirectResponse("/admin/users?done=reason", 303)

    @posted("/admin/settings")
    def put_settings(request: Request, raw: FormData) -> Response:
        user, csrf = current(request)
        form = form_of(raw, csrf)
        try:
            levels = int(str(form.get("review_levels") or "0"))
        except ValueError:
            raise InvalidInput("审核级数为 2 或 3 / review levels: 2 or 3") from None
        review.set_review_levels(user, levels)
        return RedirectResponse("/admin/users?done=settings", 303)

    @app.get("/account")
    def account(request: Request) -> Response:
        user, csrf = current(request)
        return render(request, "account.html", user, csrf)

    @posted("/account/password")
    def own_password(request: Request, raw: FormData) -> Response:
        user, csrf = current(request)
        form = form_of(raw, csrf)
        review.reset_password(user, user.id, str(form.get("password") or ""))
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    app.state.review = review
    return app


def _local(target: str) -> str:
    """Only paths of this app after login: no open redirect."""
    return target if target.startswith("/") and not target.startswith("//") else "/cases"


def _branch_list(value: Any) -> list[str]:
    """Branch codes typed with ASCII or full-width commas."""
    return str(value or "").replace("，", ",").split(",")


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("日期格式应为 YYYY-MM-DD / date as YYYY-MM-DD") from None


def _case_files(reports_dir: Path, case_id: int) -> list[Path]:
    folder = reports_dir / "cases" / f"case-{case_id}"
    if not folder.exists():
        return []
    found = [p for p in folder.iterdir() if p.is_file() and not p.name.endswith(".tmp")]
    submission = folder / "submission"
    if submission.exists():
        found += [p for p in submission.iterdir() if p.is_file() and p.suffix in (".XML", ".ZIP")]
    return sorted(found)


def _read_report(path: Path) -> tuple[list[str], list[str], list[list[str]]]:
    """The large-value CSV: Chinese header, XML tag line, rows."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    if len(lines) < 2:
        return [], [], []
    return lines[0], lines[1], lines[2:]
