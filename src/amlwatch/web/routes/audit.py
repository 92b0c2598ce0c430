"""The audit trail, for auditors (and administrators), with the chain's check."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from amlwatch.web.site import Site


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, render = site.current, site.render

    @app.get("/audit")
    def audit_log(
        request: Request, action: str = "", username: str = "", before: int | None = None
    ) -> Response:
        user, csrf = current(request)
        if before is not None and not 0 < before <= 2**62:  # past any entry: from the newest
            before = None
        rows, check = review.audit_trail(
            user,
            200,
            before,
            action or None,
            username or None,
            bool(request.query_params.get("verify")),
        )
        return render(
            request,
            "audit.html",
            user,
            csrf,
            rows=rows,
            check=check,
            filters={"action": action, "username": username},
        )
