"""Logging in and out, and the user's own account page."""

from __future__ import annotations

import secrets

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from amlwatch.cases.exceptions import Forbidden, LoginFailed
from amlwatch.models import Role
from amlwatch.web.site import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Site, local


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, form_of, posted, render = site.current, site.form_of, site.posted, site.render

    @app.get("/login")
    def login_page(request: Request, next: str = "/") -> Response:
        token = secrets.token_urlsafe(24)
        response = render(request, "login.html", None, token, next=local(next))
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            httponly=True,
            secure=site.secure_cookies,
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
                str(form.get("username", "")).strip(),
                str(form.get("password", "")),
                request.client.host if request.client else "",
            )
        except LoginFailed as error:
            return render(
                request,
                "login.html",
                None,
                expected,
                status=401,
                message=str(error),
                next=local(str(form.get("next", "/"))),
            )
        response = RedirectResponse(local(str(form.get("next", "/"))), 303)  # "/": by role
        response.set_cookie(
            SESSION_COOKIE, token, httponly=True, secure=site.secure_cookies, samesite="strict"
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

    @app.get("/account")
    def account(request: Request) -> Response:
        user, csrf = current(request)
        return render(request, "account.html", user, csrf)

    @posted("/account/password")
    def own_password(request: Request, raw: FormData) -> Response:
        user, csrf = current(request)
        form = form_of(raw, csrf)
        review.change_password(
            user, str(form.get("current") or ""), str(form.get("password") or "")
        )
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE)
        return response
