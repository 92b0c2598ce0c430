"""Administration: users, their roles and branches, passwords, the dismissal reasons and the
review levels. Every change is audited."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection

from sqlalchemy import Connection, select

from amlwatch.cases import assignment, session_rows, throttle
from amlwatch.cases import repository as repo
from amlwatch.cases.audit import append as audit
from amlwatch.cases.auth import check_password, hash_password, password_problem
from amlwatch.cases.exceptions import InvalidInput, NotFound
from amlwatch.cases.security import enforce_admin, enforce_user_reader
from amlwatch.cases.tables import cases, user_branches
from amlwatch.cases.text import checked
from amlwatch.cases.usecases.access import Access
from amlwatch.models import Role, User

DEFAULT_REASONS = (
    ("R01", "交易有合理经济背景（经营性收付）"),
    ("R02", "客户身份、职业与交易相符"),
    ("R03", "已核实为家庭成员间正常资金往来"),
    ("R04", "代发工资、报销等批量业务"),
    ("R05", "系统误报：数据错误或规则参数不适用"),
    ("R99", "其他（须在说明中写明）"),
)
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")
_BRANCH = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class Users(Access):
    """The administrator's work."""

    def people(self, actor: User) -> dict[str, str]:
        """Login → name of every user, for showing who did what: colleagues' names are no
        secret to anyone signed in (their roles and branches stay the administrator's)."""
        del actor  # any signed-in user; the session check made them one
        with self.store.read() as con:
            return repo.display_names(con)

    def users(self, actor: User) -> list[User]:
        enforce_user_reader(actor)
        with self.store.read() as con:
            return repo.all_users(con)

    def known_branches(self, actor: User) -> list[str]:
        """The branch codes an administrator can give: those the alerts have named and those
        already given (codes only — nothing of the cases behind them)."""
        enforce_admin(actor)
        with self.store.read() as con:
            named = con.execute(select(cases.c.branch_code).distinct()).scalars().all()
            given = con.execute(select(user_branches.c.branch_code).distinct()).scalars().all()
        return sorted({str(b) for b in (*named, *given) if b})

    def create_user(
        self,
        actor: User,
        username: str,
        display_name: str,
        role: Role,
        password: str,
        branches: Collection[str] = (),
    ) -> User:
        """A new user, who must change the password the administrator set at the first login;
        one who will see cases, and every new administrator, starts inactive until a second
        administrator approves the request (four eyes on access)."""
        enforce_admin(actor)
        with self.store.write() as con:
            user = create_user_row(con, actor.username, username, display_name, role, password)
            repo.update_user(con, user.id, must_change_password=True)  # someone else chose it
            if branches:
                self._set_branches(con, actor, user, branches, at_once=True)
            if self.needs_second_admin(role):
                repo.update_user(con, user.id, active=False)
                self._request(con, actor, user, "create", role=str(role))
            found = repo.user_by_id(con, user.id)
            assert found is not None
            return found

    def set_branches(self, actor: User, user_id: int, branches: Collection[str]) -> None:
        enforce_admin(actor)
        with self.store.write() as con:
            user = repo.user_by_id(con, user_id)
            if user is None:
                raise NotFound("无此用户 / no such user")
            self._set_branches(con, actor, user, branches)

    def _set_branches(
        self,
        con: Connection,
        actor: User,
        user: User,
        branches: Collection[str],
        at_once: bool = False,
    ) -> None:
        """Set a user's branches; more sight of cases (a branch added, or none: every
        branch) waits for a second administrator unless `at_once` (a user not active yet)."""
        clean = sorted({b.strip() for b in branches if b.strip()})
        bad = [b for b in clean if not _BRANCH.match(b)]
        if bad:
            raise InvalidInput(f"机构代码无效 / bad branch codes: {', '.join(bad)}")
        before = set(user.branches)
        wider = (not clean and bool(before)) or not set(clean) <= before
        if wider and not at_once and self.needs_second_admin(user.role):
            self._request(con, actor, user, "branches", branches=clean)
            return
        repo.set_branches(con, user.id, clean)
        if user.role is Role.LIAISON:  # the cases of branches taken away go back to 未分配
            assignment.release_cases_of(con, user.username, frozenset(clean), actor.username)
        audit(
            con,
            actor.username,
            "branches set",
            f"user:{user.username}",
            branches=clean,
            before=sorted(user.branches),
        )

    def set_active(self, actor: User, user_id: int, active: bool) -> None:
        enforce_admin(actor)
        if user_id == actor.id and not active:
            raise InvalidInput("不能停用自己 / you cannot deactivate yourself")
        with self.store.write() as con:
            user = repo.user_by_id(con, user_id)
            if user is None:
                raise NotFound("无此用户 / no such user")
            if active and not user.active and self.needs_second_admin(user.role):
                self._request(con, actor, user, "activate")
                return
            repo.update_user(con, user_id, active=active)
            if not active:
                session_rows.delete_sessions(con, user_id=user_id)
                assignment.release_cases_of(con, user.username, None, actor.username)
            audit(
                con,
                actor.username,
                "user activated" if active else "user deactivated",
                f"user:{user.username}",
            )

    def reset_password(self, actor: User, user_id: int, password: str) -> None:
        """An administrator sets another user's password: it works once, to log in and set
        their own (the user is told who reset it and when); their sessions end."""
        enforce_admin(actor)
        if user_id == actor.id:
            raise InvalidInput("请在“我的账户”中修改自己的密码（须输入当前密码）")
        problem = password_problem(password)
        if problem:
            raise InvalidInput(problem)
        with self.store.write() as con:
            user = repo.user_by_id(con, user_id)
            if user is None:
                raise NotFound("无此用户 / no such user")
            if self.needs_second_admin(user.role):  # else the admin could log in as them
                hashed = hash_password(password)
                self._request(con, actor, user, "password", password_hash=hashed, by=actor.username)
                return
            repo.update_user(
                con,
                user_id,
                password_hash=hash_password(password),
                must_change_password=True,
                password_reset_by=actor.username,
                password_reset_at=dt.datetime.now(),
            )
            throttle.clear_account(con, user.username)
            session_rows.delete_sessions(con, user_id=user_id)
            audit(con, actor.username, "password reset", f"user:{user.username}")

    def change_password(self, actor: User, current: str, password: str) -> None:
        """A user changes their own password: the current one first (a session left open
        on a desk does not give the account away)."""
        problem = password_problem(password)
        if problem:
            raise InvalidInput(problem)
        with self.store.write() as con:
            row = repo.user_row(con, actor.username)
            if row is None or not check_password(current, row.password_hash):
                audit(con, actor.username, "password change refused", f"user:{actor.username}")
                refused = True
            else:
                refused = False
                if check_password(password, row.password_hash):
                    raise InvalidInput("新密码不能与当前密码相同 / choose a new password")
                repo.update_user(
                    con,
                    actor.id,
                    password_hash=hash_password(password),
                    must_change_password=False,
                    password_reset_by=None,
                    password_reset_at=None,
                )
                session_rows.delete_sessions(con, user_id=actor.id)
                audit(con, actor.username, "password set", f"user:{actor.username}")
        if refused:
            raise InvalidInput("当前密码不正确 / the current password is wrong")

    def unlock(self, actor: User, user_id: int) -> int:
        """Lift the login pauses of an account (from every address); how many there were."""
        enforce_admin(actor)
        with self.store.write() as con:
            user = repo.user_by_id(con, user_id)
            if user is None:
                raise NotFound("无此用户 / no such user")
            lifted = throttle.clear_account(con, user.username)
            audit(con, actor.username, "login pauses lifted", f"user:{user.username}", n=lifted)
            return lifted

    def dismissal_reasons(self, active_only: bool = True) -> list[tuple[str, str, bool]]:
        with self.store.read() as con:
            return repo.reasons(con, active_only)

    def put_reason(self, actor: User, code: str, label: str, active: bool = True) -> None:
        enforce_admin(actor)
        code, label = code.strip().upper(), checked(label, "label")
        if not re.match(r"^[A-Z0-9]{1,16}$", code) or not label:
            raise InvalidInput("原因代码为 1–16 位字母数字，且须有说明 / code A-Z0-9 and a label")
        with self.store.write() as con:
            repo.put_reason(con, code, label, active)
            audit(con, actor.username, "reason set", f"reason:{code}", label=label, active=active)

    def set_single_dismissal(self, actor: User, rule_codes: Collection[str]) -> None:
        """The monitoring standards whose alerts one liaison may dismiss alone (default:
        none — every dismissal gets an approver's second look)."""
        enforce_admin(actor)
        clean = sorted({c.strip() for c in rule_codes if c.strip()})
        if any(not re.match(r"^[0-9A-Za-z]{1,16}$", c) for c in clean):
            raise InvalidInput("监测标准代码无效 / bad monitoring standard codes")
        with self.store.write() as con:
            before = repo.setting(con, "single_dismissal")
            repo.put_setting(con, "single_dismissal", clean)
            audit(
                con,
                actor.username,
                "setting changed",
                "single_dismissal",
                before=before,
                after=clean,
            )

    def set_review_levels(self, actor: User, levels: int) -> None:
        enforce_admin(actor)
        if levels not in (2, 3):
            raise InvalidInput("审核级数为 2 或 3 / review levels: 2 or 3")
        with self.store.write() as con:
            before = repo.setting(con, "review_levels")
            repo.put_setting(con, "review_levels", levels)
            audit(
                con, actor.username, "setting changed", "review_levels", before=before, after=levels
            )


def create_user_row(
    con: Connection,
    by: str,
    username: str,
    display_name: str,
    role: Role,
    password: str,
) -> User:
    if not _USERNAME.match(username):
        raise InvalidInput("用户名须为小写字母开头的 3–64 位字母数字 / user name: a-z0-9_.-")
    display_name = checked(display_name, "display_name")
    if not display_name:
        raise InvalidInput("请填写姓名 / a display name is needed")
    problem = password_problem(password)
    if problem:
        raise InvalidInput(problem)
    if repo.user_row(con, username) is not None:
        raise InvalidInput(f"用户 {username} 已存在 / user exists")
    user_id = repo.insert_user(con, username, display_name, role, hash_password(password))
    audit(con, by, "user created", f"user:{username}", role=str(role))
    user = repo.user_by_id(con, user_id)
    assert user is not None
    return user
