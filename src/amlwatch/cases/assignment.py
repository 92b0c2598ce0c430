"""Who works a case. By rule, a new case goes round-robin to the active liaisons of its
branch (the setting `assignment` = "round_robin", the default); with "approver", new cases
wait unassigned (未分配) for an approver to give them out. Every change is a case event, so
the history says who had the case when."""

from __future__ import annotations

from sqlalchemy import Connection, and_, select

from amlwatch.cases import repository as repo
from amlwatch.cases.tables import cases, user_branches, users
from amlwatch.models import CaseState, Role

MODES = {"round_robin": "按规则轮派 / round-robin within the branch", "approver": "由审批人分派"}
DEFAULT_MODE = "round_robin"
_POINTER = "assignment_last"  # branch → the login the last case went to


def mode(con: Connection) -> str:
    stored = repo.setting(con, "assignment")
    return str(stored) if stored in MODES else DEFAULT_MODE


def liaisons_of(con: Connection, branch: str) -> list[str]:
    """The active liaisons who see a branch, by login."""
    rows = con.execute(
        select(users.c.username)
        .join(user_branches, user_branches.c.user_id == users.c.id)
        .where(
            user_branches.c.branch_code == branch,
            users.c.role == str(Role.LIAISON),
            users.c.active.is_(True),
        )
        .order_by(users.c.username)
    )
    return [str(r[0]) for r in rows]


def by_rule(con: Connection, branch: str) -> str | None:
    """The liaison a new case of this branch goes to (None: it waits unassigned)."""
    if mode(con) != "round_robin":
        return None
    people = liaisons_of(con, branch)
    if not people:
        return None
    pointer = dict(repo.setting(con, _POINTER) or {})
    last = pointer.get(branch)
    chosen = next((p for p in people if last is None or p > last), people[0])
    repo.put_setting(con, _POINTER, pointer | {branch: chosen})
    return chosen


def assign(con: Connection, case_id: int, to: str | None, by: str, why: str) -> None:
    """Give a case to `to` (None: unassign), as a case event of `by`."""
    case = repo.case_by_id(con, case_id)
    if case is None or case.assignee == to:
        return
    repo.update_case(con, case_id, assignee=to)
    repo.add_event(
        con, case_id, by, "assigned", None, None, None, to=to, before=case.assignee, why=why
    )


def release_cases_of(con: Connection, username: str, keep: frozenset[str] | None, by: str) -> int:
    """Unassign a user's unfinished cases outside `keep` (their branches; None: all of them),
    when the user is deactivated or loses branches — a case never waits on someone who cannot
    open it. Returns how many."""
    query = select(cases.c.id, cases.c.branch_code).where(
        and_(cases.c.assignee == username, cases.c.state.not_in(_FINISHED))
    )
    released = [int(i) for i, branch in con.execute(query) if keep is None or branch not in keep]
    for case_id in released:
        assign(con, case_id, None, by, "released")
    return len(released)


_FINISHED = [str(s) for s in (CaseState.DISMISSED, CaseState.SUBMITTED, CaseState.ACCEPTED)]
