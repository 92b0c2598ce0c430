"""The flagged list, the case page, its decisions and its report files."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from amlwatch.cases import CaseFilter
from amlwatch.cases.exceptions import CaseError, InvalidInput, NotFound
from amlwatch.cases.usecases import OPEN_STATES, TO_REPORT
from amlwatch.models import CaseState, User
from amlwatch.web import svg
from amlwatch.web.site import Site, parse_date

PAGE_SIZE = 50
MAX_PAGE = 100_000  # beyond: an empty page, not a database error
logger = logging.getLogger(__name__)


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, form_of, posted, render = site.current, site.form_of, site.posted, site.render

    @app.get("/cases")
    def case_list(
        request: Request,
        rule: str = "",
        branch: str = "",
        state: str = "open",  # a liaison's list is what is still to do; 全部 is `all`
        due: str = "",
        snoozed: str = "0",
        page: int = 1,
    ) -> Response:
        user, csrf = current(request)
        today = review.today()
        states: tuple[CaseState, ...] = ()
        if state == "open":
            states = OPEN_STATES
        elif state and state != "all":
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
        page = min(max(page, 1), MAX_PAGE)
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
            files=_case_files(site.reports_dir, view.case.id) if "download" in view.allowed else [],
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
            str(f.get("direction") or "01"),
            str(f.get("urgent_reason") or ""),
        ),
    )

    def report(user: User, case_id: int) -> None:
        """Make the report of a case just approved, or undo the approval if it cannot be
        made (the error is shown; the case never stays approved without its report)."""
        try:
            site.make_report(review, user, case_id)
        except CaseError:
            raise  # refused before any report was made: nothing to undo
        except Exception as error:
            logger.exception("report of case %s failed", case_id)
            undone = review.case_state(user, case_id) is CaseState.APPROVED
            if undone:
                review.report_failed(user, case_id, f"{type(error).__name__}: {error}")
            raise InvalidInput(
                f"报告生成失败，批准已撤回（案件退回待审批），请排除原因后重新批准：{error}"
                if undone
                else f"报告生成失败：{error}"
            ) from None

    def approve(user: User, case_id: int, form: dict[str, Any]) -> None:
        case = review.approve(user, case_id, str(form.get("note") or ""))
        if case.state is CaseState.APPROVED:
            report(user, case_id)

    decide("approve", approve)
    decide("send-back", lambda u, c, f: review.send_back(u, c, str(f.get("reason") or "")))
    decide(
        "confirm-dismissal",
        lambda u, c, f: review.confirm_dismissal(u, c, str(f.get("note") or "")),
    )
    decide("generate", lambda u, c, f: report(u, c))
    decide("submitted", lambda u, c, f: review.mark_submitted(u, c))
    decide(
        "snooze",
        lambda u, c, f: review.request_snooze(
            u, c, parse_date(f.get("until")), str(f.get("reason") or "")
        ),
    )

    @app.get("/cases/{case_id}/files/{name}")
    def case_file(request: Request, case_id: int, name: str) -> Response:
        user, _ = current(request)
        review.case_for_download(user, case_id)
        files = {p.name: p for p in _case_files(site.reports_dir, case_id)}
        if name not in files:
            raise NotFound("无此文件 / no such file")
        review.record_download(user, "case report", f"case:{case_id}/{name}")
        return FileResponse(files[name], filename=name)


def _case_files(reports_dir: Path, case_id: int) -> list[Path]:
    folder = reports_dir / "cases" / f"case-{case_id}"
    if not folder.exists():
        return []
    found = [p for p in folder.iterdir() if p.is_file() and not p.name.endswith(".tmp")]
    submission = folder / "submission"
    if submission.exists():
        found += [p for p in submission.iterdir() if p.is_file() and p.suffix in (".XML", ".ZIP")]
    return sorted(found)
