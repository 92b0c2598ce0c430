"""The review use cases: who may do what to which case, and what it changes.

Every use case takes the acting `User` first and checks access itself (role, branches, state,
four eyes) before it touches anything; every change and every view is written to the audit
log in the same transaction as the change. The web app and the CLI only call these.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import median
from typing import Any

from sqlalchemy import Connection

from amlwatch.cases import repository as repo
from amlwatch.cases.audit import append as audit
from amlwatch.cases.auth import (
    LOCK_AFTER,
    LOCK_FOR,
    check_password,
    hash_password,
    new_session,
    password_problem,
    token_digest,
)
from amlwatch.cases.exceptions import (
    Forbidden,
    FourEyes,
    InvalidInput,
    LoginFailed,
    NotFound,
    WrongState,
)
from amlwatch.cases.repository import CaseFilter
from amlwatch.cases.snapshot import decode
from amlwatch.cases.store import CaseStore
from amlwatch.models import TRANSITIONS, Case, CaseEvent, CaseState, Role, Snooze, User

SYSTEM = "system"
REPORT_DUE_WORKING_DAYS = 5  # a confirmed case is reported within 5 working days
DUE_SOON_WORKING_DAYS = 2
MIN_TEXT = 10  # a dismissal's or send-back's explanation, in characters
DEFAULT_REASONS = (
    ("R01", "交易有合理经济背景（经营性收付）"),
    ("R02", "客户身份、职业与交易相符"),
    ("R03", "已核实为家庭成员间正常资金往来"),
    ("R04", "代发工资、报销等批量业务"),
    ("R05", "系统误报：数据错误或规则参数不适用"),
    ("R99", "其他（须在说明中写明）"),
)
URGENCY = {"01": "非特别紧急", "02": "特别紧急"}
# the states still waiting on somebody, and when each counts as decided
OPEN_STATES = (CaseState.NEW, CaseState.IN_REVIEW, CaseState.PROPOSED)
TO_REPORT = (CaseState.APPROVED, CaseState.REPORT_GENERATED)
RECEIPT_STATES = {
    "accepted": CaseState.ACCEPTED,
    "correction requested": CaseState.CORRECTION_REQUESTED,
    "error": CaseState.REJECTED,
}
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")
_BRANCH = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

AddWorkingDays = Callable[[dt.date, int], dt.date]


@dataclass(frozen=True, slots=True)
class Deadline:
    """Where a case stands against its reporting deadline."""

    due: dt.date | None
    status: str  # none | ok | due_soon | overdue | met | missed
    working_days_left: int | None = None


@dataclass(slots=True)
class CasePage:
    cases: list[Case]
    total: int
    by_state: dict[str, int]
    by_rule: dict[str, int]
    deadlines: dict[int, Deadline]


@dataclass(slots=True)
class CaseView:
    case: Case
    evidence: dict[str, Any]  # the decoded snapshot the page shows
    version: int
    versions: list[tuple[int, dt.datetime, dt.date]]
    history: list[CaseEvent]
    deadline: Deadline
    allowed: set[str]  # the actions this user may take now


@dataclass(slots=True)
class Dashboard:
    per_day: list[tuple[dt.date, int]]
    per_rule: dict[str, int]
    rules: list[dict[str, Any]] = field(default_factory=list)  # effectiveness per standard


class Review:
    """The review use cases over one case store.

    Args:
        store: the case store.
        add_working_days: the business-day calendar's `add_business_days`.
        crime_types: the suspected-crime codes (spec 10.6) a proposal may use, with names.
        review_levels: approval levels (2: liaison + approver; 3: 初审 / 复审 / 终审); the
            store's own setting, once an administrator has set one, wins.
        session_timeout: idle time after which a session ends.
        today: the clock (tests move it).
    """

    def __init__(
        self,
        store: CaseStore,
        add_working_days: AddWorkingDays,
        crime_types: Mapping[str, str],
        review_levels: int = 2,
        session_timeout: dt.timedelta = dt.timedelta(minutes=30),
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.store = store
        self.add_working_days = add_working_days
        self.crime_types = dict(crime_types)
        self.default_levels = review_levels
        self.session_timeout = session_timeout
        self.today = today

    # --- users, login, sessions -------------------------------------------------------------

    def bootstrap_admin(self, username: str, display_name: str, password: str) -> User:
        """Create the first administrator (refused once one exists) and the default
        dismissal reasons."""
        with self.store.write() as con:
            if repo.count_users(con, Role.ADMIN):
                raise Forbidden("已有管理员 / an administrator exists already: log in as them")
            user = self._create_user(con, SYSTEM, username, display_name, Role.ADMIN, password)
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

    # --- administration ---------------------------------------------------------------------

    def users(self, actor: User) -> list[User]:
        _require(actor, Role.ADMIN, Role.AUDITOR)
        with self.store.read() as con:
            return repo.all_users(con)

    def create_user(
        self,
        actor: User,
        username: str,
        display_name: str,
        role: Role,
        password: str,
        branches: Collection[str] = (),
    ) -> User:
        _require(actor, Role.ADMIN)
        with self.store.write() as con:
            user = self._create_user(con, actor.username, username, display_name, role, password)
            if branches:
                self._set_branches(con, actor, user, branches)
            found = repo.user_by_id(con, user.id)
            assert found is not None
            return found

    def _create_user(
        self,
        con: Connection,
        by: str,
        username: str,
        display_name: str,
        role: Role,
        password: str,
    ) -> User:
        if not _USERNAME.match(username):
            raise InvalidInput("用户名须为小写字母开头的 3–64 位字母数字 / user name: a-z0-9_.-")
        if not display_name.strip():
            raise InvalidInput("请填写姓名 / a display name is needed")
        problem = password_problem(password)
        if problem:
            raise InvalidInput(problem)
        if repo.user_row(con, username) is not None:
            raise InvalidInput(f"用户 {username} 已存在 / user exists")
        user_id = repo.insert_user(
            con, username, display_name.strip(), role, hash_password(password)
        )
        audit(con, by, "user created", f"user:{username}", role=str(role))
        user = repo.user_by_id(con, user_id)
        assert user is not None
        return user

    def set_branches(self, actor: User, user_id: int, branches: Collection[str]) -> None:
        _require(actor, Role.ADMIN)
        with self.store.write() as con:
            user = repo.user_by_id(con, user_id)
            if user is None:
                raise NotFound("无此用户 / no such user")
            self._set_branches(con, actor, user, branches)

    def _set_branches(
        self, con: Connection, actor: User, user: User, branches: Collection[str]
    ) -> None:
        clean = sorted({b.strip() for b in branches if b.strip()})
        bad = [b for b in clean if not _BRANCH.match(b)]
        if bad:
            raise InvalidInput(f"机构代码无效 / bad branch codes: {', '.join(bad)}")
        repo.set_branches(con, user.id, clean)
        audit(
            con,
            actor.username,
            "branches set",
            f"user:{user.username}",
            branches=clean,
            before=sorted(user.branches),
        )

    def set_active(self, actor: User, user_id: int, active: bool) -> None:
        _require(actor, Role.ADMIN)
        if user_id == actor.id and not active:
            raise InvalidInput("不能停用自己 / you cannot deactivate yourself")
        with self.store.write() as con:
            user = repo.user_by_id(con, user_id)
            if user is None:
                raise NotFound("无此用户 / no such user")
            repo.update_user(con, user_id, active=active)
            if not active:
                repo.delete_sessions(con, user_id=user_id)
            audit(
                con,
                actor.username,
                "user activated" if active else "user deactivated",
                f"user:{user.username}",
            )

    def reset_password(self, actor: User, user_id: int, password: str) -> None:
        if actor.role is not Role.ADMIN and actor.id != user_id:
            raise Forbidden("无权修改他人密码 / not allowed")
        problem = password_problem(password)
        if problem:
            raise InvalidInput(problem)
        with self.store.write() as con:
            user = repo.user_by_id(con, user_id)
            if user is None:
                raise NotFound("无此用户 / no such user")
            repo.update_user(
                con,
                user_id,
                password_hash=hash_password(password),
                failed_logins=0,
                locked_until=None,
            )
            repo.delete_sessions(con, user_id=user_id)
            audit(con, actor.username, "password set", f"user:{user.username}")

    def dismissal_reasons(self, active_only: bool = True) -> list[tuple[str, str, bool]]:
        with self.store.read() as con:
            return repo.reasons(con, active_only)

    def put_reason(self, actor: User, code: str, label: str, active: bool = True) -> None:
        _require(actor, Role.ADMIN)
        code, label = code.strip().upper(), label.strip()
        if not re.match(r"^[A-Z0-9]{1,16}$", code) or not label:
            raise InvalidInput("原因代码为 1–16 位字母数字，且须有说明 / code A-Z0-9 and a label")
        with self.store.write() as con:
            repo.put_reason(con, code, label, active)
            audit(con, actor.username, "reason set", f"reason:{code}", label=label, active=active)

    def review_levels(self) -> int:
        with self.store.read() as con:
            stored = repo.setting(con, "review_levels")
        return int(stored) if stored is not None else self.default_levels

    def set_review_levels(self, actor: User, levels: int) -> None:
        _require(actor, Role.ADMIN)
        if levels not in (2, 3):
            raise InvalidInput("审核级数为 2 或 3 / review levels: 2 or 3")
        with self.store.write() as con:
            before = repo.setting(con, "review_levels")
            repo.put_setting(con, "review_levels", levels)
            audit(
                con, actor.username, "setting changed", "review_levels", before=before, after=levels
            )

    # --- the flagged list and the case page -----------------------------------------------

    def list_cases(
        self, actor: User, flt: CaseFilter, limit: int = 50, offset: int = 0
    ) -> CasePage:
        _require(actor, Role.LIAISON, Role.APPROVER, Role.AUDITOR)
        branches = _visible_branches(actor)
        with self.store.read() as con:
            found = repo.find_cases(con, flt, branches, limit, offset)
            # the counts beside the list: per state under the other filters, per rule under
            # the state filter too
            counts = repo.count_by_state_and_rule(
                con, replace(flt, states=(), due_by=None), branches
            )
        wanted = {str(s) for s in flt.states}
        by_state: Counter[str] = Counter()
        by_rule: Counter[str] = Counter()
        for (state, rule), n in counts.items():
            by_state[state] += n
            if not wanted or state in wanted:
                by_rule[rule] += n
        if flt.due_by is None:
            total = sum(by_rule.values())
        else:
            with self.store.read() as con:
                total = sum(repo.count_by_state_and_rule(con, flt, branches).values())
        today = self.today()
        return CasePage(
            found,
            total,
            dict(sorted(by_state.items())),
            dict(sorted(by_rule.items())),
            {c.id: self.deadline(c, today) for c in found},
        )

    def view_case(self, actor: User, case_id: int, version: int | None = None) -> CaseView:
        """The case page's content; the view is audited."""
        with self.store.read() as con:
            case = self._visible_case(con, actor, case_id)
            shown = version or case.snapshot_version
            snap = repo.snapshot(con, case.id, shown)
            if snap is None:
                raise NotFound("无此证据版本 / no such evidence version")
            versions = repo.snapshot_versions(con, case.id)
            history = repo.case_history(con, case.id)
        # the write lock is held only for the audit entry
        with self.store.write() as con:
            audit(con, actor.username, "case viewed", f"case:{case.id}", version=shown)
        return CaseView(
            case=case,
            evidence=decode(snap[1]),
            version=shown,
            versions=versions,
            history=history,
            deadline=self.deadline(case, self.today()),
            allowed=self.allowed_actions(actor, case, history),
        )

    def allowed_actions(self, actor: User, case: Case, history: Sequence[CaseEvent]) -> set[str]:
        allowed: set[str] = set()
        state = case.state
        if actor.role is Role.LIAISON:
            if state is CaseState.NEW:
                allowed.add("start")
            if state is CaseState.IN_REVIEW:
                allowed |= {"dismiss", "propose"}
            if state in OPEN_STATES:
                allowed.add("snooze")
        if actor.role is Role.APPROVER:
            if state is CaseState.PROPOSED and actor.username not in _round_actors(history):
                allowed |= {"approve", "send_back"}
            elif state is CaseState.PROPOSED:
                allowed.add("send_back")
            if state in (CaseState.APPROVED, CaseState.CORRECTION_REQUESTED, CaseState.REJECTED):
                allowed.add("generate")
            if state is CaseState.REPORT_GENERATED:
                allowed |= {"submitted", "generate"}
        if actor.role in (Role.LIAISON, Role.APPROVER, Role.AUDITOR) and case.report_name:
            allowed.add("download")
        return allowed

    def deadline(self, case: Case, today: dt.date) -> Deadline:
        if case.due_date is None:
            return Deadline(None, "none")
        if case.state in TO_REPORT or case.state in (
            CaseState.CORRECTION_REQUESTED,
            CaseState.REJECTED,
        ):
            if today > case.due_date:
                return Deadline(case.due_date, "overdue", 0)
            left = self._working_days_between(today, case.due_date)
            status = "due_soon" if left <= DUE_SOON_WORKING_DAYS else "ok"
            return Deadline(case.due_date, status, left)
        met = case.submitted_on is not None and case.submitted_on <= case.due_date
        return Deadline(case.due_date, "met" if met else "missed")

    def _working_days_between(self, start: dt.date, end: dt.date) -> int:
        count, day = 0, start
        while True:
            nxt = self.add_working_days(day, 1)
            if nxt > end:
                return count
            count, day = count + 1, nxt

    # --- decisions ----------------------------------------------------------------------------

    def start_review(self, actor: User, case_id: int) -> Case:
        _require(actor, Role.LIAISON)
        return self._move(actor, case_id, CaseState.NEW, CaseState.IN_REVIEW, "review started")

    def dismiss(self, actor: User, case_id: int, reason: str, text: str) -> Case:
        """Dismiss with a reason from the maintained list and an explanation."""
        _require(actor, Role.LIAISON)
        text = text.strip()
        with self.store.read() as con:
            codes = {code for code, _, _ in repo.reasons(con)}
        if reason not in codes:
            raise InvalidInput("请选择排除原因 / choose a dismissal reason from the list")
        if len(text) < MIN_TEXT:
            raise InvalidInput(f"排除说明至少 {MIN_TEXT} 字 / explain in {MIN_TEXT}+ characters")
        return self._move(
            actor,
            case_id,
            CaseState.IN_REVIEW,
            CaseState.DISMISSED,
            "dismissed",
            values={
                "dismissal_reason": reason,
                "dismissal_text": text,
                "decided_at": dt.datetime.now(),
            },
            detail={"reason": reason, "text": text},
        )

    def propose(
        self,
        actor: User,
        case_id: int,
        stcb: str,
        aosp: str,
        crime_types: Sequence[str],
        urgency: str,
    ) -> Case:
        """Propose the case for a report (初审): the narrative, crime types and urgency."""
        _require(actor, Role.LIAISON)
        stcb, aosp = stcb.strip(), aosp.strip()
        if not stcb or not aosp:
            raise InvalidInput(
                "须填写可疑交易特征描述(STCB)和疑点分析(AOSP) / STCB and AOSP needed"
            )
        if len(stcb) > 4000 or len(aosp) > 4000:
            raise InvalidInput("描述过长（每项不超过 4000 字）/ at most 4000 characters each")
        chosen = sorted(set(crime_types))
        if not chosen or any(c not in self.crime_types for c in chosen):
            raise InvalidInput("请选择疑似涉罪类型 / choose suspected-crime types (spec 10.6)")
        if urgency not in URGENCY:
            raise InvalidInput("报告紧急程度为 01 或 02 / urgency 01 or 02")
        with self.store.write() as con:
            case = self._visible_case(con, actor, case_id)
            return self._transition(
                con,
                actor,
                case,
                CaseState.IN_REVIEW,
                CaseState.PROPOSED,
                "proposed",
                values={
                    "stcb": stcb,
                    "aosp": aosp,
                    "crime_types": chosen,
                    "urgency": urgency,
                    "level": 1,
                    "review_version": case.snapshot_version,
                },
                detail={
                    "crime_types": chosen,
                    "urgency": urgency,
                    "version": case.snapshot_version,
                },
                level=1,
            )

    def approve(self, actor: User, case_id: int, note: str = "") -> Case:
        """One approval level (复审, 终审); the last one confirms the case and sets its due
        date. Each level must be a different person from every earlier level."""
        _require(actor, Role.APPROVER)
        levels = self.review_levels()
        with self.store.write() as con:
            case = self._visible_case(con, actor, case_id)
            if case.state is not CaseState.PROPOSED:
                raise WrongState(_wrong_state(case, "approve"))
            if actor.username in _round_actors(repo.case_history(con, case.id)):
                raise FourEyes(
                    "同一人不能在同一案件中审批两级 / four eyes: another person must approve"
                )
            level = case.level + 1
            if level < levels:
                return self._transition(
                    con,
                    actor,
                    case,
                    CaseState.PROPOSED,
                    CaseState.PROPOSED,
                    "approved level",
                    values={"level": level},
                    detail={"note": note.strip()},
                    level=level,
                )
            today = self.today()
            due = self.add_working_days(today, REPORT_DUE_WORKING_DAYS)
            return self._transition(
                con,
                actor,
                case,
                CaseState.PROPOSED,
                CaseState.APPROVED,
                "approved",
                values={
                    "level": level,
                    "approved_on": today,
                    "due_date": due,
                    "decided_at": dt.datetime.now(),
                },
                detail={"note": note.strip(), "due": due.isoformat()},
                level=level,
            )

    def send_back(self, actor: User, case_id: int, reason: str) -> Case:
        _require(actor, Role.APPROVER)
        if len(reason.strip()) < MIN_TEXT:
            raise InvalidInput(f"退回原因至少 {MIN_TEXT} 字 / explain in {MIN_TEXT}+ characters")
        return self._move(
            actor,
            case_id,
            CaseState.PROPOSED,
            CaseState.IN_REVIEW,
            "sent back",
            values={"level": 0},
            detail={"reason": reason.strip()},
        )

    def report_material(self, actor: User, case_id: int) -> tuple[Case, dict[str, Any]]:
        """An approved case and the evidence version it was approved on, for its report."""
        _require(actor, Role.APPROVER)
        with self.store.read() as con:
            case = self._visible_case(con, actor, case_id)
            if case.state not in (
                CaseState.APPROVED,
                CaseState.REPORT_GENERATED,
                CaseState.CORRECTION_REQUESTED,
                CaseState.REJECTED,
            ):
                raise WrongState(_wrong_state(case, "generate its report"))
            snap = repo.snapshot(con, case.id, case.review_version or case.snapshot_version)
            assert snap is not None
        return case, decode(snap[1])

    def report_generated(
        self, actor: User, case_id: int, report_name: str, files: Sequence[str]
    ) -> Case:
        _require(actor, Role.APPROVER)
        with self.store.write() as con:
            case = self._visible_case(con, actor, case_id)
            return self._transition(
                con,
                actor,
                case,
                case.state,
                CaseState.REPORT_GENERATED,
                "report generated",
                values={"report_name": report_name},
                detail={"report": report_name, "files": list(files)},
            )

    def mark_submitted(self, actor: User, case_id: int) -> Case:
        _require(actor, Role.APPROVER)
        return self._move(
            actor,
            case_id,
            CaseState.REPORT_GENERATED,
            CaseState.SUBMITTED,
            "submitted",
            values={"submitted_on": self.today()},
        )

    def apply_receipts(self, statuses: Mapping[str, str]) -> list[tuple[int, CaseState]]:
        """Move submitted cases by their report file's receipt result (name → result)."""
        moved = []
        with self.store.write() as con:
            for case in repo.cases_in_states(con, [CaseState.SUBMITTED]):
                result = statuses.get(case.report_name or "")
                target = RECEIPT_STATES.get(result or "")
                if target is None:
                    continue
                repo.update_case(con, case.id, state=str(target), updated_at=dt.datetime.now())
                repo.add_event(
                    con,
                    case.id,
                    SYSTEM,
                    "receipt",
                    str(case.state),
                    str(target),
                    report=case.report_name,
                    result=result,
                )
                audit(con, SYSTEM, "receipt applied", f"case:{case.id}", result=result)
                moved.append((case.id, target))
        return moved

    def record_download(self, actor: User, what: str, target: str) -> None:
        with self.store.write() as con:
            audit(con, actor.username, "download", target, what=what)

    def case_for_download(self, actor: User, case_id: int) -> Case:
        """A case whose report this user may download."""
        _require(actor, Role.LIAISON, Role.APPROVER, Role.AUDITOR)
        with self.store.read() as con:
            case = self._visible_case(con, actor, case_id)
        if not case.report_name:
            raise NotFound("尚未生成报告 / no report yet")
        return case

    # --- snoozes -------------------------------------------------------------------------------

    def request_snooze(self, actor: User, case_id: int, until: dt.date, reason: str) -> Snooze:
        """Ask to keep a subject's hits of the case's rule out of the queue until a date."""
        _require(actor, Role.LIAISON)
        today = self.today()
        if not today < until <= today + dt.timedelta(days=180):
            raise InvalidInput("暂停期限须在今后 180 天内 / until: within the next 180 days")
        if len(reason.strip()) < MIN_TEXT:
            raise InvalidInput(f"暂停原因至少 {MIN_TEXT} 字 / explain in {MIN_TEXT}+ characters")
        with self.store.write() as con:
            case = self._visible_case(con, actor, case_id)
            snooze_id = repo.insert_snooze(
                con,
                customer_id=case.customer_id,
                rule_code=case.rule_code,
                branch_code=case.branch_code,
                until=until,
                reason=reason.strip(),
                requested_by=actor.username,
                state="requested",
            )
            repo.add_event(
                con,
                case.id,
                actor.username,
                "snooze requested",
                None,
                None,
                until=until.isoformat(),
                snooze=snooze_id,
            )
            audit(
                con,
                actor.username,
                "snooze requested",
                f"snooze:{snooze_id}",
                case=case.id,
                until=until.isoformat(),
            )
            found = repo.snooze_by_id(con, snooze_id)
            assert found is not None
            return found

    def decide_snooze(self, actor: User, snooze_id: int, approve: bool) -> Snooze:
        """Approve or reject a snooze request (another person than the requester). Approval
        marks the subject's open cases of that rule snoozed; they stay recorded and visible."""
        _require(actor, Role.APPROVER)
        with self.store.write() as con:
            snooze = repo.snooze_by_id(con, snooze_id)
            branches = _visible_branches(actor)
            if snooze is None or (branches is not None and snooze.branch_code not in branches):
                raise NotFound("无此暂停申请 / no such snooze")
            if snooze.state != "requested":
                raise WrongState("该申请已处理 / already decided")
            if snooze.requested_by == actor.username:
                raise FourEyes("申请人不能自行审批 / four eyes: another person must approve")
            state = "active" if approve else "rejected"
            repo.update_snooze(
                con,
                snooze_id,
                state=state,
                approved_by=actor.username,
                decided_at=dt.datetime.now(),
            )
            if approve:
                for case in repo.find_cases(
                    con,
                    CaseFilter(
                        customer_id=snooze.customer_id,
                        rule_code=snooze.rule_code,
                        states=(CaseState.NEW,),
                        snoozed=False,
                    ),
                    None,
                    10_000,
                ):
                    repo.update_case(con, case.id, snoozed=True, updated_at=dt.datetime.now())
                    repo.add_event(
                        con,
                        case.id,
                        actor.username,
                        "snoozed",
                        None,
                        None,
                        snooze=snooze_id,
                        until=snooze.until.isoformat(),
                    )
            audit(con, actor.username, f"snooze {state}", f"snooze:{snooze_id}")
            found = repo.snooze_by_id(con, snooze_id)
            assert found is not None
            return found

    def snoozes(self, actor: User) -> list[Snooze]:
        _require(actor, Role.LIAISON, Role.APPROVER, Role.AUDITOR)
        with self.store.read() as con:
            return repo.find_snoozes(con, _visible_branches(actor))

    def open_large_value_report(self, actor: User, day: dt.date) -> frozenset[str] | None:
        """Record that the user opens a day's large-value report; the branches whose rows
        they may see (None: all)."""
        _require(actor, Role.LIAISON, Role.APPROVER, Role.AUDITOR)
        with self.store.write() as con:
            audit(con, actor.username, "large-value viewed", f"large-value:{day.isoformat()}")
        return _visible_branches(actor)

    # --- oversight ------------------------------------------------------------------------------

    def require_audit_reader(self, actor: User) -> None:
        _require(actor, Role.AUDITOR, Role.ADMIN)

    def dashboard(self, actor: User, days: int = 30) -> Dashboard:
        """Alerts per day and per rule, and per monitoring standard the effectiveness figures
        the regulation asks banks to assess."""
        _require(actor, Role.APPROVER, Role.AUDITOR, Role.LIAISON)
        branches = _visible_branches(actor)
        with self.store.read() as con:
            everything = repo.find_cases(con, CaseFilter(snoozed=None), branches, 10**9)
            events = repo.all_events(con, ("opened", "dismissed", "approved", "submitted"))
        ids = {c.id for c in everything}
        first_event: dict[tuple[int, str], dt.datetime] = {}
        for case_id, action, at in events:
            if case_id in ids:
                first_event.setdefault((case_id, action), at)
                first_event[(case_id, action)] = min(first_event[(case_id, action)], at)
        today = self.today()
        start = today - dt.timedelta(days=days - 1)
        per_day_counter = Counter(
            c.first_scan_date for c in everything if c.first_scan_date >= start
        )
        per_day = [
            (start + dt.timedelta(days=i), per_day_counter.get(start + dt.timedelta(days=i), 0))
            for i in range(days)
        ]
        by_rule: dict[str, list[Case]] = defaultdict(list)
        for c in everything:
            by_rule[c.rule_code].append(c)
        rules = []
        for code, group in sorted(by_rule.items()):
            decided = [c for c in group if c.state not in OPEN_STATES]
            dismissed = [c for c in group if c.state is CaseState.DISMISSED]
            confirmed = [c for c in group if c.approved_on is not None]
            hours = []
            for c in decided:
                opened = first_event.get((c.id, "opened"))
                closed = first_event.get((c.id, "dismissed")) or first_event.get((c.id, "approved"))
                if opened and closed:
                    hours.append((closed - opened).total_seconds() / 3600)
            with_deadline = [c for c in confirmed if c.due_date is not None]
            met = sum(self.deadline(c, today).status == "met" for c in with_deadline)
            overdue = sum(1 for c in with_deadline if self.deadline(c, today).status == "overdue")
            rules.append(
                {
                    "rule_code": code,
                    "rule_name": group[0].rule_name,
                    "alerts": len(group),
                    "open": len(group) - len(decided),
                    "snoozed": sum(c.snoozed for c in group),
                    "dismissed": len(dismissed),
                    "dismissal_rate": len(dismissed) / len(decided) if decided else None,
                    "reported": len(confirmed),
                    "conversion": len(confirmed) / len(decided) if decided else None,
                    "median_hours_to_decision": median(hours) if hours else None,
                    "deadline_cases": len(with_deadline),
                    "deadlines_met": met,
                    "overdue": overdue,
                }
            )
        return Dashboard(per_day, {k: len(v) for k, v in by_rule.items()}, rules)

    # --- internals ------------------------------------------------------------------------------

    def _visible_case(self, con: Connection, actor: User, case_id: int) -> Case:
        if actor.role is Role.ADMIN:
            raise Forbidden("管理员无权查看案件 / administrators do not see cases")
        case = repo.case_by_id(con, case_id)
        branches = _visible_branches(actor)
        if case is None or (branches is not None and case.branch_code not in branches):
            # the same answer for another branch's case as for none: ids cannot be probed
            raise NotFound("无此案件 / no such case")
        return case

    def _move(
        self,
        actor: User,
        case_id: int,
        source: CaseState,
        target: CaseState,
        action: str,
        values: dict[str, Any] | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Case:
        with self.store.write() as con:
            case = self._visible_case(con, actor, case_id)
            return self._transition(con, actor, case, source, target, action, values, detail)

    def _transition(
        self,
        con: Connection,
        actor: User,
        case: Case,
        source: CaseState,
        target: CaseState,
        action: str,
        values: dict[str, Any] | None = None,
        detail: dict[str, Any] | None = None,
        level: int | None = None,
    ) -> Case:
        if case.state is not source or target not in TRANSITIONS[case.state]:
            raise WrongState(_wrong_state(case, action))
        repo.update_case(
            con, case.id, state=str(target), updated_at=dt.datetime.now(), **(values or {})
        )
        repo.add_event(
            con, case.id, actor.username, action, str(source), str(target), level, **(detail or {})
        )
        audit(con, actor.username, action, f"case:{case.id}", state=str(target), **(detail or {}))
        updated = repo.case_by_id(con, case.id)
        assert updated is not None
        return updated


def _require(actor: User, *roles: Role) -> None:
    if not actor.active or actor.role not in roles:
        raise Forbidden("无此权限 / your role does not allow this")


def _visible_branches(actor: User) -> frozenset[str] | None:
    """The branches whose cases the user sees; None: every branch."""
    if actor.role is Role.LIAISON:
        return actor.branches  # none assigned: sees nothing
    if actor.role is Role.APPROVER:
        return actor.branches or None  # a regional approver has branches, head office none
    return None


def _round_actors(history: Sequence[CaseEvent]) -> set[str]:
    """Who proposed or approved in the current round (since the last proposal)."""
    actors: set[str] = set()
    for event in history:
        if event.action == "proposed":
            actors = {event.username}
        elif event.action in ("approved level", "approved"):
            actors.add(event.username)
        elif event.action == "sent back":
            actors = set()
    return actors


def _wrong_state(case: Case, what: str) -> str:
    return f"案件当前状态（{STATE_NAMES[case.state]}）不允许此操作 / cannot {what} a case in state {case.state}"


STATE_NAMES = {
    CaseState.NEW: "新预警",
    CaseState.IN_REVIEW: "审查中",
    CaseState.PROPOSED: "已提交审批",
    CaseState.DISMISSED: "已排除",
    CaseState.APPROVED: "已批准待报告",
    CaseState.REPORT_GENERATED: "报告已生成",
    CaseState.SUBMITTED: "已报送",
    CaseState.ACCEPTED: "已接收",
    CaseState.CORRECTION_REQUESTED: "需补正",
    CaseState.REJECTED: "被拒收",
}
_DUMMY_HASH = hash_password("timing-equaliser-not-a-password")
