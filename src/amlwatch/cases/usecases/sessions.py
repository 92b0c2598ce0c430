"""Logging in and out: the first administrator, passwords checked in constant time per
attempt, lockout after repeated failures, sessions that end when idle."""

from __future__ import annotations

import datetime as dt
import secrets

from amlwatch.cases import repository as repo
from amlwatch.cases import session_rows, throttle
from amlwatch.cases.audit import append as audit
from amlwatch.cases.auth import (
    COST,
    check_password,
    hash_password,
    needs_rehash,
    new_session,
    token_digest,
)
from amlwatch.cases.exceptions import Forbidden, LoginFailed
from amlwatch.cases.usecases.base import SYSTEM, ReviewBase
from amlwatch.cases.usecases.users import DEFAULT_REASONS, create_user_row
from amlwatch.models import Role, User

REFUSED = (
    "用户名或密码错误，或尝试过于频繁请稍后再试 / wrong user name or password, or too many tries"
)
_DUMMY: dict[tuple[int, int, int], str] = {}


def dummy_hash() -> str:
    """A hash of the current cost that no password matches: the work an unknown name costs."""
    cost = (COST["n"], COST["r"], COST["p"])
    if cost not in _DUMMY:
        _DUMMY[cost] = hash_password(secrets.token_urlsafe(16))
    return _DUMMY[cost]


def masked_name(username: str) -> str:
    """A login name that is no account's, as the audit log keeps it: people type passwords
    into the name field."""
    clean = "".join(c for c in username if c.isprintable())
    return f"{clean[:2]}***（{len(username)} 字符）" if clean else "（空）"


class Sessions(ReviewBase):
    """Who is logged in."""

    def bootstrap_admin(
        self, username: str, display_name: str, password: str, console_user: str = ""
    ) -> User:
        """Create the first administrator and the default dismissal reasons; refused once one
        exists, unless `console_user` (the operating-system user at the server's console, the
        second person) adds another — who must change the password at the first login."""
        with self.store.write() as con:
            if repo.count_users(con, Role.ADMIN) and not console_user:
                raise Forbidden("已有管理员 / an administrator exists already: log in as them")
            by = f"{SYSTEM}:console:{console_user}" if console_user else SYSTEM
            user = create_user_row(con, by, username, display_name, Role.ADMIN, password)
            if console_user:
                repo.update_user(con, user.id, must_change_password=True)
                user = repo.user_by_id(con, user.id) or user
            if not repo.reasons(con, active_only=False):
                for code, label in DEFAULT_REASONS:
                    repo.put_reason(con, code, label, True)
            return user

    def login(self, username: str, password: str, client: str = "") -> tuple[User, str, str]:
        """Check the password; a new session's (user, cookie token, CSRF token), the user's
        earlier sessions ended. Every refusal gives the same answer after the same scrypt
        work (unknown, inactive, paused or wrong: a name cannot be told to exist); failures
        are audited (an unknown name masked) and throttled per account and `client` address
        (committed before the refusal is raised)."""
        now = dt.datetime.now()
        with self.store.write() as con:
            row = repo.user_row(con, username)
            waiting = throttle.paused(con, username, client, now)
            stored = row.password_hash if row is not None else dummy_hash()
            matches = check_password(password, stored)  # always: one timing for every answer
            reason = (
                "unknown user"
                if row is None
                else "inactive"
                if not row.active
                else "throttled"
                if waiting
                else None
                if matches
                else "password"
            )
            if reason is not None:
                paused = throttle.failed(con, username, client, now) if not waiting else True
                who = row.username if row is not None else masked_name(username)
                audit(con, who, "login failed", "", reason=reason, client=client, paused=paused)
            else:
                throttle.succeeded(con, username, client)
                if needs_rehash(row.password_hash):  # the cost was raised: upgrade the hash
                    repo.update_user(con, row.id, password_hash=hash_password(password))
                session_rows.delete_sessions(con, user_id=row.id)  # one live session a person
                session = new_session()
                session_rows.insert_session(con, session.token_hash, row.id, session.csrf)
                audit(con, row.username, "login", "", client=client)
                user = repo.user_by_id(con, row.id)
        if reason is not None:
            raise LoginFailed(REFUSED)
        assert user is not None
        return user, session.token, session.csrf

    def session(self, token: str) -> tuple[User, str] | None:
        """The user and CSRF token of a live session; an idle one is ended."""
        digest = token_digest(token)
        now = dt.datetime.now()
        with self.store.read() as con:
            row = session_rows.session_row(con, digest)
            user = repo.user_by_id(con, row.user_id) if row is not None else None
        if row is None or user is None:
            return None
        idle = now - row.last_seen > self.session_timeout
        if idle or now - row.created_at > self.session_lifetime or not user.active:
            with self.store.write() as con:
                session_rows.delete_sessions(con, token_hash=digest)
                audit(con, user.username, "session expired", "")
            return None
        if now - row.last_seen > dt.timedelta(seconds=30):  # spare the store a write a click
            with self.store.write() as con:
                session_rows.touch_session(con, digest, now)
        return user, row.csrf

    def logout(self, token: str) -> None:
        digest = token_digest(token)
        with self.store.write() as con:
            row = session_rows.session_row(con, digest)
            if row is not None:
                user = repo.user_by_id(con, row.user_id)
                session_rows.delete_sessions(con, token_hash=digest)
                audit(con, user.username if user else "?", "logout", "")
