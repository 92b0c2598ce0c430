"""The network standards' structures (资金网络结构, on trial: the tuning list): money through
several customers, a night at a time, each with its members' roles, its transfers and its
graph. For approvers and auditors (a structure spans branches); every look is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from amlwatch.cases.exceptions import InvalidInput, NotFound
from amlwatch.labels import STRUCTURE_ROLES
from amlwatch.rules import FAMILY_NAMES
from amlwatch.web.site import Site
from amlwatch.web.svg import structure_graph


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, render = site.current, site.render

    def night_of(date: str | None) -> tuple[dt.date | None, list[dict[str, Any]]]:
        try:
            day = dt.date.fromisoformat(date) if date else None
        except ValueError:
            raise InvalidInput("日期格式应为 YYYY-MM-DD / a date as YYYY-MM-DD") from None
        if site.network_structures is None:
            return day, []
        return site.network_structures(day)

    @app.get("/network")
    def structures(request: Request, date: str | None = None) -> Response:
        user, csrf = current(request)
        review.network_tuning(user, f"network:{date or 'latest'}")
        night, found = night_of(date)
        return render(
            request, "network.html", user, csrf, night=night, structures=found,
            families=FAMILY_NAMES, roles=STRUCTURE_ROLES,
        )  # fmt: skip

    @app.get("/network/{structure_id}")
    def structure(request: Request, structure_id: str, date: str | None = None) -> Response:
        user, csrf = current(request)
        review.network_tuning(user, f"network:{structure_id}@{date or 'latest'}")
        night, found = night_of(date)
        mine = [s for s in found if s["structure_id"] == structure_id]
        if not mine:
            raise NotFound("该日没有此资金网络结构 / no such structure that night")
        s = mine[0]
        return render(
            request, "network_structure.html", user, csrf, night=night, s=s,
            graph=structure_graph(s["members"], s["edges"]), families=FAMILY_NAMES,
            roles=STRUCTURE_ROLES, case_id=review.structure_case(user, structure_id),
        )  # fmt: skip
