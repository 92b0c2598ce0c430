"""Customer risk rating (客户洗钱风险等级): the rating reviews — in the header of every page
while any is open — each with the model's factors and scores beside the customer's rating
history and the four-eyes steps (a liaison proposes a level, an approver confirms), events a
liaison records for a rated customer, and the register of every customer's level for the
regulator's on-site inspection (xlsx)."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from amlwatch.cases.rating_rows import EVENTS, OPEN, STATE_NAMES, TRIGGERS, CustomerRating
from amlwatch.rating import GROUPS, RatingModel
from amlwatch.web.site import Site

REGISTER_COLUMNS = (
    "客户号", "客户名称", "机构", "风险等级代码", "风险等级", "评定日期", "评定人", "系统评分",
    "模型评定等级", "主要原因", "下次复评日期", "模型", "说明",
)  # fmt: skip


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, render, posted, form_of = site.current, site.render, site.posted, site.form_of

    def names() -> dict[str, Any]:
        model = review.rating_model
        return {"model": model, "GROUPS": GROUPS, "RATING_STATES": STATE_NAMES, "TRIGGERS": TRIGGERS,
                "EVENTS": EVENTS, "level_name": review.level_name, "why": lambda codes: why(model, codes)}  # fmt: skip

    @app.get("/rating")
    def queue(request: Request, state: str = "open") -> Response:
        user, csrf = current(request)
        states = OPEN if state == "open" else tuple(STATE_NAMES) if state == "all" else (state,)
        if not set(states) <= set(STATE_NAMES):
            states = OPEN
        reviews = review.rating_queue(user, states)
        return render(request, "rating.html", user, csrf, reviews=reviews, state=state,
                      counts=review.rating_counts(user), **names())  # fmt: skip

    @app.get("/rating/{review_id:int}")
    def review_page(request: Request, review_id: int) -> Response:
        user, csrf = current(request)
        page = review.rating_review(user, review_id)
        return render(
            request, "rating_review.html", user, csrf, page=page, r=page.review, **names()
        )

    @app.get("/rating/register.xlsx")
    def register_xlsx(request: Request) -> Response:
        user, _ = current(request)
        rows = review.rating_register(user)
        name = f"customer-risk-levels-{review.today():%Y%m%d}.xlsx"
        return Response(
            rating_workbook(review.rating_model, rows, review.level_name),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def step(path: str, action: Any) -> None:
        def body(request: Request, form: FormData, review_id: int) -> Response:
            user, csrf = current(request)
            action(user, review_id, form_of(form, csrf))
            return RedirectResponse(f"/rating/{review_id}?done=rating-{path}", 303)

        posted(f"/rating/{{review_id:int}}/{path}")(body)

    step(
        "propose",
        lambda u, r, f: review.propose_rating(
            u, r, str(f.get("level") or ""), str(f.get("text") or "")
        ),
    )
    step(
        "decide",
        lambda u, r, f: review.decide_rating(
            u, r, f.get("decision") == "confirm", str(f.get("note") or "")
        ),
    )

    @posted("/rating/request")
    def request_review(request: Request, form: FormData) -> Response:
        user, csrf = current(request)
        fields = form_of(form, csrf)
        review_id = review.request_rating(user, str(fields.get("customer_id") or "").strip(),
                                          str(fields.get("event") or ""), str(fields.get("text") or ""))  # fmt: skip
        return RedirectResponse(f"/rating/{review_id}?done=rating-request", 303)


def why(model: RatingModel, codes: list[str]) -> list[tuple[str, str]]:
    """Reason codes with their Chinese names (factors and hard rules)."""
    named = {f.code: f.name for f in model.factors} | {r.code: r.name for r in model.hard_rules}
    return [(code, named.get(code, code)) for code in codes]


def rating_workbook(model: RatingModel, rows: list[CustomerRating], level_name: Any) -> bytes:
    """Every customer's level in force, one row each (the inspection export): the level's
    code beside its name, the dates, who confirmed it and the reasons in words."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("客户风险等级")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, REGISTER_COLUMNS, bold)
    for n, r in enumerate(sorted(rows, key=lambda r: (r.level, r.customer_id)), start=1):
        reasons = "；".join(f"{code} {name}" for code, name in why(model, r.reasons))
        sheet.write_row(n, 0, [
            r.customer_id, r.customer_name, r.branch_code, r.level, level_name(r.level),
            r.rated_on.isoformat(), "系统" if r.confirmed_by == "system" else r.confirmed_by, r.score,
            r.computed_level, reasons, r.next_review_on.isoformat(), r.model, r.note or "",
        ])  # fmt: skip
    codes = book.add_worksheet("等级代码")
    codes.write_row(0, 0, ("代码", "等级", "复评周期（月）", "最低评分"), bold)
    for n, level in enumerate(model.levels, start=1):
        codes.write_row(n, 0, (level.code, level.name, level.review_months, level.min_score))
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
