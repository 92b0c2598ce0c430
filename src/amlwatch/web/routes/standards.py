"""The library of monitoring standards (交易监测标准库): each standard of the pack in force
today with its approved versions, what it found, and the proposed versions an approver puts in
force or refuses (proposals are made with their replay: `amlwatch standards propose`)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from amlwatch.cases.exceptions import NotFound
from amlwatch.cases.standard_rows import STATES
from amlwatch.rules import FAMILY_NAMES, INDICATORS_2003, STATUS_NAMES, pack_for
from amlwatch.rules.library import apply_library
from amlwatch.web.site import Site


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, form_of, posted, render = site.current, site.form_of, site.posted, site.render

    @app.get("/standards")
    def standards(request: Request) -> Response:
        user, csrf = current(request)
        versions = review.standard_versions(user)
        today = review.today()
        pack = apply_library(pack_for(today), review.library(), today)
        rule = pack.suspicious
        figures = site.standard_figures() if site.standard_figures is not None else {}
        covered = {i for s in rule.standards if s.running for i in s.indicators} if rule else set()
        return render(
            request,
            "standards.html",
            user,
            csrf,
            pack=pack,
            rule=rule,
            figures=figures,
            versions=versions,
            states=STATES,
            families=FAMILY_NAMES,
            statuses=STATUS_NAMES,
            indicators=INDICATORS_2003,
            covered=covered,
        )

    @posted("/standards/versions/{version_id:int}/{verdict}")
    def decide(request: Request, form: FormData, version_id: int, verdict: str) -> Response:
        user, csrf = current(request)
        fields = form_of(form, csrf)
        if verdict not in ("approve", "reject"):
            raise NotFound("无此操作 / no such action")
        note = str(fields.get("note") or "")
        review.decide_standard(user, version_id, verdict == "approve", note)
        return RedirectResponse(f"/standards?done={verdict}", 303)
