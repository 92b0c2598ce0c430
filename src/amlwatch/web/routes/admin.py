"""Administration: users, roles, branches, dismissal reasons, review levels."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from amlwatch.cases.exceptions import InvalidInput, NotFound
from amlwatch.models import Role
from amlwatch.web.site import Site


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, form_of, posted, render = site.current, site.form_of, site.posted, site.render

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
            single_dismissal=sorted(review.single_dismissal()),
            reasons=review.dismissal_reasons(active_only=False),
            pending=review.pending_access(user) if user.role is Role.ADMIN else [],
            known_branches=review.known_branches(user) if user.role is Role.ADMIN else [],
            assignment=review.assignment_mode(),
        )

    @posted("/admin/access/{change_id:int}/{verdict}")
    def decide_access(request: Request, raw: FormData, change_id: int, verdict: str) -> Response:
        user, csrf = current(request)
        form_of(raw, csrf)
        if verdict not in ("approve", "reject"):
            raise NotFound("无此操作 / no such action")
        review.decide_access(user, change_id, verdict == "approve")
        return RedirectResponse(f"/admin/users?done=access-{verdict}", 303)

    @posted("/admin/users")
    def create_user(request: Request, raw: FormData) -> Response:
        user, csrf = current(request)
        form = form_of(raw, csrf)
        try:
            role = Role(str(form.get("role") or ""))
        except ValueError:
            raise InvalidInput("无此角色 / unknown role") from None
        created = review.create_user(
            user,
            str(form.get("username") or "").strip(),
            str(form.get("display_name") or ""),
            role,
            str(form.get("password") or ""),
            _branch_list(form.get("branches")),
        )
        done = "created" if created.active else "requested"
        return RedirectResponse(f"/admin/users?done={done}", 303)

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
        elif what == "unlock":
            review.unlock(user, user_id)
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
        if "assignment" in form:  # checked first: a refused form changes nothing
            review.set_assignment_mode(user, str(form.get("assignment") or ""))
        review.set_review_levels(user, levels)
        if "single_dismissal" in form:
            codes = str(form.get("single_dismissal") or "").replace("，", ",").split(",")
            review.set_single_dismissal(user, codes)
        return RedirectResponse("/admin/users?done=settings", 303)


def _branch_list(value: Any) -> list[str]:
    """Branch codes typed with ASCII or full-width commas."""
    return str(value or "").replace("，", ",").split(",")
