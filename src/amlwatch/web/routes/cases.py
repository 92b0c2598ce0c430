"""The flagged list, the case page, its decisions and its report files."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from amlwatch.cases.exceptions import CaseError, InvalidInput, NotFound
from amlwatch.cases.usecases.bulk import BatchResult
from amlwatch.cases.usecases.work import SEARCH_KINDS
from amlwatch.labels import STRUCTURE_ROLES
from amlwatch.models import CaseState, Role, User, split_narrative
from amlwatch.web import svg
from amlwatch.web.listing import MAX_EXPORT, PAGE_SIZE, Listing, pages_around, read, workbook
from amlwatch.web.routes import large_value
from amlwatch.web.routes.rating import why
from amlwatch.web.site import Site, parse_date

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
logger = logging.getLogger(__name__)


# the decisions whose form holds text a person typed: refused, they come back filled in
KEEPS_TYPED = frozenset({"propose", "dismiss", "send-back"})


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, form_of, posted, render = site.current, site.form_of, site.posted, site.render

    def show_list(
        request: Request,
        user: User,
        csrf: str,
        listing: Listing,
        search: dict[str, str],
        batch: BatchResult | None = None,
    ) -> Response:
        offset = (listing.page - 1) * PAGE_SIZE
        found = review.list_cases(user, listing.flt, PAGE_SIZE, offset)
        pages = max(1, -(-found.total // PAGE_SIZE))
        query = {k: v for k, v in listing.params.items() if v}
        return render(
            request,
            "cases.html",
            user,
            csrf,
            page=found,
            filters=listing.params,
            number=listing.page,
            pages=pages,
            page_links=pages_around(listing.page, pages),
            query=urlencode(query),
            sort_query=urlencode({k: v for k, v in query.items() if k not in ("sort", "desc")}),
            liaisons=review.case_liaisons(user),
            rule_names=review.rule_names(user),
            search=search,
            kinds=SEARCH_KINDS,
            reasons=review.dismissal_reasons() if user.role is Role.LIAISON else [],
            batch=batch,
            screening=review.screening_queue(user)[:10],  # 名单监测: at the top of the list
            frozen=review.frozen_customers(user, [c.customer_id for c in found.cases]),
            risk=review.customer_ratings(user, [c.customer_id for c in found.cases]),
            level_name=review.level_name,
        )

    def bulk_body(request: Request, form: FormData) -> Response:
        """Many cases of the list at once (checked rows); the list comes back as it was, with
        what was done and what each refused case said."""
        user, csrf = current(request)
        fields = form_of(form, csrf)
        ids = [int(x) for x in fields.get("ids[]") or [] if str(x).isdigit() and len(str(x)) < 10]
        result = review.bulk(
            user,
            ids,
            str(fields.get("action") or ""),
            to=str(fields.get("to") or ""),
            reason=str(fields.get("reason") or ""),
            text=str(fields.get("text") or ""),
        )
        listing = read(review, user, dict(parse_qsl(str(fields.get("back") or ""))))
        return show_list(request, user, csrf, listing, {}, result)

    posted("/cases/bulk")(bulk_body)

    @app.get("/cases")
    def case_list(request: Request) -> Response:
        user, csrf = current(request)
        return show_list(request, user, csrf, read(review, user, request.query_params), {})

    def export(user: User, listing: Listing, what: str) -> Response:
        found = review.list_cases(user, listing.flt, MAX_EXPORT, 0)
        review.record_download(user, what, "cases")
        title = f"预警案件清单（{len(found.cases)} / {found.total} 件，导出于 {review.today()}）"
        data = workbook(review, user, found.cases, review.people(user), title)
        name = f"cases-{review.today():%Y%m%d}.xlsx"
        return Response(
            data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    @app.get("/cases/export.xlsx")
    def case_export(request: Request) -> Response:
        user, _ = current(request)
        return export(user, read(review, user, request.query_params), "case list xlsx")

    def search_body(request: Request, form: FormData) -> Response:
        """A search is posted, never in a URL; its result is the list page itself (or the
        list as xlsx), the search audited with the number masked."""
        user, csrf = current(request)
        fields = form_of(form, csrf)
        kind, text = str(fields.get("kind") or ""), str(fields.get("q") or "")
        listing = read(review, user, fields)
        contains = fields.get("contains") == "1"
        flt = review.search_filter(user, kind, text, replace(listing.flt, name_in=contains))
        listing = replace(listing, flt=flt)
        if fields.get("export") == "xlsx":
            return export(user, listing, "case search xlsx")
        search = {"kind": kind, "q": text, "contains": "1" if contains else ""}
        return show_list(request, user, csrf, listing, search)

    posted("/cases/search")(search_body)

    @app.get("/cases/{case_id}")
    def case_page(request: Request, case_id: int, version: int | None = None) -> Response:
        user, csrf = current(request)
        return show_case(request, user, csrf, case_id, version)

    def show_case(
        request: Request,
        user: User,
        csrf: str,
        case_id: int,
        version: int | None = None,
        refused: tuple[str, str] | None = None,
        typed: dict[str, Any] | None = None,
    ) -> Response:
        """The case page; after a refused decision, with the refusal where the form is (which
        decision, why) and what the person typed kept in the form."""
        view = review.view_case(user, case_id, version)
        hits = view.evidence.get("alerts") or [view.evidence.get("alert", {})]
        evidence = _each_once(view.evidence.get("evidence", []), hits)
        subject = (view.evidence.get("subjects") or [{}])[0]
        case = view.case
        detail = view.evidence.get("detail", [])
        accounts = sorted(
            {(str(t.get("account_id")), str(t.get("account_type") or "")) for t in detail}
        )
        structure = view.evidence.get("structure")  # a group case's (团伙)
        large_values = (
            large_value.customer_rows(site, user, case.customer_id, review.today())[1]
            if structure is None
            else []
        )
        return render(
            request,
            "case.html",
            user,
            csrf,
            view=view,
            case=case,
            accounts=accounts,
            notes=review.case_notes(user, case.id),
            related=review.related_cases(user, case),
            earlier=review.customer_cases(user, case),
            large_values=large_values,
            timeline=svg.timeline(evidence, case.window_start, case.window_end),
            assignees=review.assignees(user, case) if user.role is Role.APPROVER else [],
            alert=view.evidence.get("alert", {}),
            hits=[(a, split_narrative(str(a.get("narrative") or ""))[0]) for a in hits],
            subject=subject,
            evidence=evidence,
            flow=svg.money_flow(view.case.customer_name, evidence) if structure is None else "",
            structure=structure,
            subjects_by_id={
                str(s.get("customer_id")): s for s in view.evidence.get("subjects") or []
            },
            graph=svg.structure_graph(structure["members"], structure["edges"])
            if structure
            else "",
            linked=review.linked_cases(user, case),
            frozen=review.frozen_customers(user, [case.customer_id]).get(case.customer_id),
            ratings=review.rating_history(user, case.customer_id),
            level_name=review.level_name,
            why=lambda codes: why(review.rating_model, codes),
            roles=STRUCTURE_ROLES,
            reasons=review.dismissal_reasons(),
            crime_types=review.crime_types,
            levels=review.review_levels(),
            files=_case_files(site.reports_dir, view.case.id) if "download" in view.allowed else [],
            refused=refused,
            typed=typed or {},
            status=400 if refused else 200,
        )

    def decide(path: str, action: Callable[[User, int, dict[str, Any]], Any]) -> None:
        def body(request: Request, form: FormData, case_id: int) -> Response:
            user, csrf = current(request)
            fields = form_of(form, csrf)
            try:
                action(user, case_id, fields)
            except InvalidInput as error:
                if path not in KEEPS_TYPED:
                    raise
                # the case page again, the refusal at the form and the text kept
                return show_case(request, user, csrf, case_id, refused=(path, str(error)),
                                 typed=fields)  # fmt: skip
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
        """Make the report of an approved case; when it cannot be made, the case stays
        approved with the reason held on its page (待补正), never dropped."""
        try:
            site.make_report(review, user, case_id)
        except CaseError:
            raise  # refused before any report was made: nothing to hold
        except Exception as error:
            logger.exception("report of case %s failed", case_id)
            if review.case_state(user, case_id) is not CaseState.APPROVED:
                raise InvalidInput(f"报告生成失败：{error}") from None
            review.report_held(user, case_id, f"{type(error).__name__}: {error}")

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


def _each_once(evidence: list[dict[str, Any]], hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The evidence transactions, each once, with the codes of the case's standards that
    name it (`codes`)."""
    code_of = {str(a.get("alert_id")): str(a.get("rule_code")) for a in hits}
    out: dict[str, dict[str, Any]] = {}
    for row in evidence:
        key, code = str(row.get("txn_id")), code_of.get(str(row.get("alert_id")), "")
        if key not in out:
            out[key] = {**row, "codes": [code]}
        elif code not in out[key]["codes"]:
            out[key]["codes"].append(code)
    return list(out.values())
