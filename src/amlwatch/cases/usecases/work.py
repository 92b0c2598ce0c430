"""Working a case day to day: finding it (by name or by number, the number never stored or
logged in clear), the queues (assignment, 我的待办, 未分配, 下一条), the notes and files of
the investigation, and the customer's wider picture (earlier cases, related cases)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from amlwatch.cases import assignment, keys, members, notes
from amlwatch.cases import repository as repo
from amlwatch.cases.audit import append as audit
from amlwatch.cases.exceptions import Forbidden, InvalidInput, NotFound, WrongState
from amlwatch.cases.repository import UNASSIGNED, CaseFilter
from amlwatch.cases.security import (
    enforce_admin,
    enforce_case_reader,
    require,
    visible_branches,
    visible_case,
)
from amlwatch.cases.tables import case_alerts
from amlwatch.cases.text import checked
from amlwatch.cases.usecases.base import STATE_NAMES, ReviewBase
from amlwatch.masking import mask_text
from amlwatch.models import Case, CaseState, Role, User

# what a search by number looks in: the subject's numbers, or the counterparties' as well
SEARCH_KINDS = {
    "name": "客户名称",
    "customer": "客户号",
    "id": "证件号码",
    "account": "账号",
}
MAX_FOUND = 500  # a search lists at most this many cases
KEY_NAMES = {"id": "证件号码", "account": "账号", "cp_id": "对手证件号码", "cp_acct": "对手账号"}


@dataclass(frozen=True, slots=True)
class Related:
    """Another customer's case sharing a number with this one."""

    case: Case
    shared: str  # which of this case's numbers (KEY_NAMES)
    number: str  # the number masked


class Work(ReviewBase):
    """Search, queues and assignment, notes and attachments, the customer picture."""

    # --- finding a case ---------------------------------------------------------------------

    def search_filter(self, actor: User, kind: str, text: str, flt: CaseFilter) -> CaseFilter:
        """The list filter of a search (by customer name prefix, `name_in` for contains;
        customer number; ID or account number, exact, subject or counterparty); the search is
        audited with the number masked."""
        enforce_case_reader(actor)
        value = " ".join(text.split())[:128]
        if kind not in SEARCH_KINDS or not value:
            raise InvalidInput("请选择查询类别并输入查询内容 / choose what to search and type it")
        if kind == "name":
            found = replace(flt, name=value)
        elif kind == "customer":
            found = replace(flt, customer_id=value)
        else:
            with self.store.read() as con:
                wanted = ("id", "cp_id") if kind == "id" else ("account", "cp_acct")
                ids = keys.cases_with_number(con, wanted, value)
            found = replace(flt, case_ids=tuple(ids[:MAX_FOUND]))
        with self.store.write() as con:
            shown = keys.shown(value) if kind in ("id", "account", "customer") else value
            audit(con, actor.username, "case search", "cases", kind=kind, text=mask_text(shown))
        return found

    def rule_names(self, actor: User) -> dict[str, str]:
        """Each monitoring standard's name, as the cases carry it (the list's choices)."""
        enforce_case_reader(actor)
        with self.store.read() as con:
            rows = con.execute(
                select(case_alerts.c.rule_code, case_alerts.c.rule_name).distinct()
            ).all()
        return {str(code): str(name) for code, name in sorted(rows)}

    # --- queues and assignment --------------------------------------------------------------

    def case_liaisons(self, actor: User) -> list[str]:
        """The active liaisons of the branches this user sees (the list's 经办人 choice)."""
        enforce_case_reader(actor)
        branches = visible_branches(actor)
        with self.store.read() as con:
            people = repo.all_users(con)
        return [
            u.username
            for u in people
            if u.role is Role.LIAISON
            and u.active
            and (branches is None or bool(u.branches & branches))
        ]

    def assignees(self, actor: User, case: Case) -> list[str]:
        """Whom an approver may give this case to: the active liaisons of its branch."""
        require(actor, Role.APPROVER)
        with self.store.read() as con:
            return assignment.liaisons_of(con, case.branch_code)

    def assign_case(self, actor: User, case_id: int, to: str) -> Case:
        """An approver gives a case to a liaison of its branch (or takes it back: ""); a
        liaison takes an unassigned case of their branch (`to` = themselves)."""
        require(actor, Role.LIAISON, Role.APPROVER)
        with self.store.write() as con:
            case = visible_case(con, actor, case_id)
            if actor.role is Role.LIAISON and (to != actor.username or case.assignee):
                raise Forbidden(
                    "联络员只能认领未分配的案件 / a liaison only takes unassigned cases"
                )
            target = to or None
            if target is not None and target not in assignment.liaisons_of(con, case.branch_code):
                raise InvalidInput(
                    "该用户不是本案所属机构的在岗联络员 / not a liaison of the branch"
                )
            why = "taken" if actor.role is Role.LIAISON else "approver"
            assignment.assign(con, case.id, target, actor.username, why)
            audit(con, actor.username, "case assigned", f"case:{case.id}", to=target)
            updated = repo.case_by_id(con, case.id)
        assert updated is not None
        return updated

    def next_case(self, actor: User, after: int, flt: CaseFilter) -> int | None:
        """The case after `after` in a queue (the list's order), else its first other case."""
        enforce_case_reader(actor)
        with self.store.read() as con:
            queue = [c.id for c in repo.find_cases(con, flt, visible_branches(actor), 1000)]
        at = queue.index(after) + 1 if after in queue else 0
        rest = [i for i in queue[at:] + queue[:at] if i != after]
        return rest[0] if rest else None

    def assignment_mode(self) -> str:
        with self.store.read() as con:
            return assignment.mode(con)

    def set_assignment_mode(self, actor: User, mode: str) -> None:
        enforce_admin(actor)
        if mode not in assignment.MODES:
            raise InvalidInput("无此分派方式 / unknown assignment mode")
        with self.store.write() as con:
            before = assignment.mode(con)
            repo.put_setting(con, "assignment", mode)
            audit(con, actor.username, "setting changed", "assignment", value=mode, before=before)

    # --- notes and files ---------------------------------------------------------------------

    def add_note(
        self,
        actor: User,
        case_id: int,
        text: str,
        file: tuple[str, bytes] | None = None,
        for_report: bool = False,
    ) -> int:
        """A dated note (and at most one file) on a case, by its liaison or an approver. A
        file `for_report` goes into the attachment package of the case's report; such files
        are added while the case is in review (before its proposal: what the approvers sign
        is what is sent)."""
        require(actor, Role.LIAISON, Role.APPROVER)
        body = checked(text, "case_note")
        if not body and file is None:
            raise InvalidInput("请填写调查记录或选择附件 / write a note or choose a file")
        with self.store.write() as con:
            case = visible_case(con, actor, case_id)
            if for_report and case.state not in (CaseState.NEW, CaseState.IN_REVIEW):
                raise WrongState(
                    f"案件状态为“{STATE_NAMES[case.state]}”：随报告报送的附件须在提交审批前"
                    "添加 / report files are added before the proposal"
                )
            note_id, sha = notes.add(
                con, case.id, actor.username, body, file, for_report, case.report_times
            )
            named = notes.of_case(con, case.id)[-1].file_name
            detail: dict[str, Any] = {"note": note_id, "file": named, "sha256": sha}
            if for_report:
                detail["for_report"] = True
            repo.add_event(con, case.id, actor.username, "note added", **detail)
            audit(con, actor.username, "note added", f"case:{case.id}", note=note_id, sha256=sha)
        return note_id

    def report_files(self, actor: User, case_id: int) -> list[tuple[str, bytes]]:
        """The files of the round's report of an approved case (its attachment package)."""
        require(actor, Role.APPROVER)
        with self.store.read() as con:
            case = visible_case(con, actor, case_id)
            done = case.report_times - (0 if case.state is CaseState.APPROVED else 1)
            return notes.report_files(con, case.id, max(done, 0))

    def case_notes(self, actor: User, case_id: int) -> list[notes.Note]:
        enforce_case_reader(actor)
        with self.store.read() as con:
            case = visible_case(con, actor, case_id)
            return notes.of_case(con, case.id)

    def note_file(self, actor: User, case_id: int, note_id: int) -> tuple[notes.Note, bytes]:
        """A note's file, its download audited (with its hash)."""
        enforce_case_reader(actor)
        if not 0 < note_id <= repo.MAX_ID:
            raise NotFound("无此附件 / no such file")
        with self.store.write() as con:
            case = visible_case(con, actor, case_id)
            note, data = notes.file_of(con, case.id, note_id)
            audit(con, actor.username, "download", f"case:{case.id}/note:{note_id}",
                  what="attachment", sha256=note.file_sha256)  # fmt: skip
        return note, data

    # --- the customer picture -----------------------------------------------------------------

    def customer_cases(self, actor: User, case: Case) -> list[Case]:
        """The customer's other cases the viewer may see, newest first."""
        enforce_case_reader(actor)
        flt = CaseFilter(customer_id=case.customer_id, snoozed=None, sort="id", descending=True)
        with self.store.read() as con:
            found = repo.find_cases(con, flt, visible_branches(actor), 200)
        return [c for c in found if c.id != case.id]

    def related_cases(self, actor: User, case: Case) -> list[Related]:
        """Other customers' cases sharing a counterparty's ID or account number with this one
        (as their counterparty or their subject), within the viewer's branches."""
        enforce_case_reader(actor)
        branches = visible_branches(actor)
        with self.store.read() as con:
            shared = keys.related(con, case.id, case.customer_id, branches)
            found = [(repo.case_by_id(con, i), kind, shown) for i, kind, shown in shared]
        return [Related(c, KEY_NAMES[k], s) for c, k, s in found if c is not None]

    def linked_cases(self, actor: User, case: Case) -> list[tuple[Case, list[str]]]:
        """The cases about the same customers that the viewer may see, oldest first, each
        with the customers shared: for a group case (团伙) every case of a member; for a
        customer's case the group cases it is a member of."""
        enforce_case_reader(actor)
        with self.store.read() as con:
            found = members.cases_sharing(
                con, case.id, members.customers_of(con, case), visible_branches(actor)
            )
        return [(c, shared) for c, shared in found if case.group or c.group]


__all__ = ["SEARCH_KINDS", "UNASSIGNED", "Related", "Work"]
