"""Screening cases (名单监测): the queue — at the top of every page while any is open — and
each case with the list entry beside the party's data, the match reasons, and the four-eyes
steps (a liaison proposes 确认命中 or 排除误报, an approver decides)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from amlwatch.cases.screening_rows import OPEN, STATE_NAMES
from amlwatch.screening import LIST_NAMES, REASONS, SUBJECT_KINDS
from amlwatch.web.site import Site, parse_date

NAME_QUALITIES = {
    "primary": "名称",
    "alias": "别名",
    "weak_alias": "低质量别名",
    "original_script": "原文名称",
}
BANDS = {"hit": "疑似命中", "review": "待核实（评分较低）"}
ACTION_KINDS = {"freeze": "冻结客户及其账户", "block": "停止与该交易对手的业务（账户）"}


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, render, posted, form_of = site.current, site.render, site.posted, site.form_of
    names: dict[str, Any] = {"SUBJECT_KINDS": SUBJECT_KINDS, "NAME_QUALITIES": NAME_QUALITIES, "BANDS": BANDS,
             "LIST_NAMES": LIST_NAMES, "REASONS": REASONS, "SCREENING_STATES": STATE_NAMES,
             "ACTION_KINDS": ACTION_KINDS}  # fmt: skip

    @app.get("/screening")
    def queue(request: Request, state: str = "open") -> Response:
        user, csrf = current(request)
        states = OPEN if state == "open" else tuple(STATE_NAMES) if state == "all" else (state,)
        if not set(states) <= set(STATE_NAMES):
            states = OPEN
        cases = review.screening_queue(user, states)
        frozen = review.frozen_customers(user, sorted({c.customer_id for c in cases}))
        return render(request, "screening.html", user, csrf, cases=cases, state=state,
                      frozen=frozen, **names)  # fmt: skip

    @app.get("/screening/{case_id:int}")
    def case_page(request: Request, case_id: int) -> Response:
        user, csrf = current(request)
        page = review.screening_case(user, case_id)
        return render(request, "screening_case.html", user, csrf, page=page, c=page.case, **names)

    def step(path: str, action: Any) -> None:
        def body(request: Request, form: FormData, case_id: int) -> Response:
            user, csrf = current(request)
            action(user, case_id, form_of(form, csrf))
            return RedirectResponse(f"/screening/{case_id}?done=screening-{path}", 303)

        posted(f"/screening/{{case_id:int}}/{path}")(body)

    step("start", lambda u, c, f: review.start_screening(u, c))
    step(
        "propose",
        lambda u, c, f: review.propose_screening(
            u, c, f.get("decision") == "hit", str(f.get("text") or "")
        ),
    )
    step(
        "decide",
        lambda u, c, f: review.decide_screening(
            u, c, f.get("decision") == "confirm", str(f.get("note") or "")
        ),
    )
    step(
        "reported",
        lambda u, c, f: review.record_screening_report(
            u, c, parse_date(f.get("reported_on")), str(f.get("note") or "")
        ),
    )
