"""The upload register: the regulator files still to upload, and recording an upload."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from amlwatch.cases.exceptions import InvalidInput, NotFound
from amlwatch.labels import FILE_PURPOSES, FILE_STATES
from amlwatch.web.site import Site


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, form_of, posted, render = site.current, site.form_of, site.posted, site.render

    @app.get("/submissions")
    def submissions(request: Request) -> Response:
        user, csrf = current(request)
        records = review.upload_register(user)
        waiting = [r for r in records if r.status == "written"]
        return render(
            request,
            "submissions.html",
            user,
            csrf,
            waiting=waiting,
            records=records,
            actions=site.actions(),
            labels=FILE_STATES,
            purposes=FILE_PURPOSES,
            can_mark=site.mark_uploaded is not None and user.role.value == "approver",
        )

    @posted("/submissions/uploaded")
    def uploaded(request: Request, form: FormData) -> Response:
        user, csrf = current(request)
        fields = form_of(form, csrf)
        review.may_mark_uploaded(user)
        if site.mark_uploaded is None:
            raise NotFound("未配置 / not available here")
        names = [str(n) for n in fields.get("names[]") or []]
        if not names:
            raise InvalidInput("请选择已上报的报送包 / choose the packages you uploaded")
        try:
            site.mark_uploaded(user, names)
        except (LookupError, ValueError) as error:
            raise InvalidInput(str(error)) from None
        return RedirectResponse("/submissions?done=uploaded", 303)
