"""Who may do what, one checker per area: cases, large-value reports, case files, the audit
trail, administration. The use cases call these before they touch anything; the web
handlers and the CLI never decide access themselves.

A refusal is `Forbidden` (the role may not) or `NotFound` (another branch's case answers as
no case at all, so that ids cannot be probed).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from amlwatch.cases import repository as repo
from amlwatch.cases.exceptions import Forbidden, NotFound
from amlwatch.models import Case, CaseEvent, Role, User

# the large-value report's column that names a row's branch (FINC: the outlet)
BRANCH_TAG = "FINC"


def require(actor: User, *roles: Role) -> None:
    """The actor is active and has one of `roles`."""
    if not actor.active or actor.role not in roles:
        raise Forbidden("无此权限 / your role does not allow this")


def visible_branches(actor: User) -> frozenset[str] | None:
    """The branches whose cases and rows the user sees; None: every branch."""
    if actor.role is Role.LIAISON:
        return actor.branches  # none assigned: sees nothing
    if actor.role is Role.APPROVER:
        return actor.branches or None  # a regional approver has branches, head office none
    return None


# --- cases ------------------------------------------------------------------------------------


def enforce_case_reader(actor: User) -> None:
    """Liaisons, approvers and auditors read cases (within their branches)."""
    require(actor, Role.LIAISON, Role.APPROVER, Role.AUDITOR)


def visible_case(con: Connection, actor: User, case_id: int) -> Case:
    """The case, if this user may see it."""
    if actor.role is Role.ADMIN:
        raise Forbidden("管理员无权查看案件 / administrators do not see cases")
    case = repo.case_by_id(con, case_id)
    branches = visible_branches(actor)
    if case is None or (branches is not None and case.branch_code not in branches):
        # the same answer for another branch's case as for none: ids cannot be probed
        raise NotFound("无此案件 / no such case")
    return case


def round_actors(history: Sequence[CaseEvent]) -> set[str]:
    """Who proposed or approved in the current round (since the last proposal): none of
    them may approve again (four eyes)."""
    actors: set[str] = set()
    for event in history:
        if event.action == "proposed":
            actors = {event.username}
        elif event.action in ("approved level", "approved"):
            actors.add(event.username)
        elif event.action == "report failed":  # that approval was undone: it may be retried
            actors.discard(event.username)
        elif event.action == "sent back":
            actors = set()
    return actors


# --- large-value reports ----------------------------------------------------------------------


def enforce_large_value_reader(actor: User, download: str = "") -> frozenset[str] | None:
    """Who may open a day's large-value report, and the branches whose rows they see (and
    download, as CSV or xlsx: only those rows; the whole-bank workbook is for users who see
    every branch)."""
    require(actor, Role.LIAISON, Role.APPROVER, Role.AUDITOR)
    branches = visible_branches(actor)
    if download not in ("", "csv", "xlsx"):
        raise NotFound("无此下载格式 / no such download")
    return branches


def large_value_rows(
    branches: frozenset[str] | None, tags: Sequence[str], rows: list[list[str]]
) -> list[list[str]]:
    """The rows of the report a user with `branches` may see."""
    if branches is None:
        return rows
    if BRANCH_TAG not in tags:
        return []  # rows that name no branch are no branch user's
    at = list(tags).index(BRANCH_TAG)
    return [r for r in rows if r[at] in branches]


# --- the audit trail and administration -------------------------------------------------------


def enforce_audit_reader(actor: User) -> None:
    require(actor, Role.AUDITOR, Role.ADMIN)


def enforce_user_reader(actor: User) -> None:
    require(actor, Role.ADMIN, Role.AUDITOR)


def enforce_admin(actor: User) -> None:
    require(actor, Role.ADMIN)
