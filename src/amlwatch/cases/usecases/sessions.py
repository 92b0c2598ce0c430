"""Logging in and out: the first administrator, passwords checked in constant time per
attempt, lockout after repeated failures, sessions that end when idle."""

from __future__ import annotations

import datetime as dt

from amlwatch.cases import repository as repo
from amlwatch.cases.audit import append as audit
from amlwatch.cases.auth import (
    LOCK_AFTER,
    LOCK_FOR,
    check_password,
    hash_password,
    new_session,
    token_digest,
)
from amlwatch.cases.exceptions import Forbidden, LoginFailed
from amlwatch.cases.usecases.base import SYSTEM, ReviewBase
from amlwatch.cases.usecases.users import DEFAULT_REASONS, create_user_row
from amlwatch.models import Role, User

_DUMMY_HASH = hash_password("timing-equaliser-not-a-password")


class Sessions(ReviewBase):
    """Who is logged in."""

    def bootstrap_admin(self, username: str, display_name: str, password: str) -> User:
        """Create the first administrator (refused once one exists) and the default
        dismissal reasons."""
        with self.store.write() as con:
            if repo.count_users(con, Role.ADMIN):
                raise Forbidden("已有管理员 / an administrator exists already: log in as them")
            user = create_user_row(con, SYSTEM, username, display_name, Role.ADMIN, password)
            if not repo.reasons(con, active_only=False):
                for code, label in DEFAULT_REASONS:
                    repo.put_reason(con, code, label, True)
            return user

    def login(self, username: str, password: str) -> tuple[User, str, str]:
        """Check the password; a new session's (user, cookie token, CSRF token). Failures
        are audited and counted (committed before the refusal is raised); five in a row lock
        the account for a while."""
        now = dt.datetime.now()
        refused = "用户名或密码错误 / wrong user name or password"
        with self.store.write() as con:
            row = repo.user_row(con, username)
            failure = None
            if row is None:
                check_password(password, _DUMMY_HASH)  # same time whether or not the user exists
                audit(con, username[:64], "login failed", "", reason="unknown user")
                failure = refused
            elif not row.active:
                audit(con, row.username, "login failed", "", reason="inactive")
                failure = refused
            elif row.locked_until is not None and row.locked_until > now:
                audit(con, row.username, "login failed", "", reason="locked")
                failure = "账户已锁定，请稍后再试 / account locked, try again later"
            elif not check_password(password, row.password_hash):
                failed = row.failed_logins + 1
                locked = now + LOCK_FOR if failed >= LOCK_AFTER else None
                repo.update_user(
                    con, row.id, failed_logins=0 if locked else failed, locked_until=locked
                )
                audit(con, row.username, "login failed", "", reason="password", locked=bool(locked))
                failure = refused
            else:
                repo.update_user(con, row.id, failed_logins=0, locked_until=None)
                session = new_session()
                repo.insert_session(con, session.token_hash, row.id, session.csrf)
                audit(con, row.username, "login", "")
                user = repo.user_by_id(con, row.id)
        if failure is not None:
            raise LoginFailed(failure)
        assert user is not None
        return user, session.token, session.csrf

    def session(self, token: str) -> tuple[User, str] | None:
        """The user and CSRF token of a live session; an idle one is ended."""
        digest = token_digest(token)
        now = dt.datetime.now()
        with self.store.read() as con:
            row = repo.session_row(con, digest)
            user = repo.user_by_id(con, row.user_id) if row is not None else None
        if row is None or user is None:
            return None
        if now - row.last_seen > self.session_timeout or not user.active:
            with self.store.write() as con:
                repo.delete_sessions(con, token_hash=digest)
                audit(con, user.username, "session expired", "")
            return None
        if now - row.last_seen > dt.timedelta(seconds=30):  # spare the store a write a click
            with self.store.write() as con:
                repo.touch_session(con, digest, now)
        return user, row.csrf

    def logout(self, token: str) -> None:
        digest = token_digest(token)
        with self.store.write() as con:
            row = repo.session_row(con, digest)
            if row is not None:
                user = repo.user_by_id(con, row.user_id)
                repo.delete_sessions(con, token_hash=digest)
                audit(con, user.username if user else "?", "logout", "")
