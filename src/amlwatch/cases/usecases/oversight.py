"""Oversight: the dashboard of every monitoring standard's effectiveness, the audit trail,
and who opens which large-value report."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from amlwatch.cases import repository as repo
from amlwatch.cases.audit import AuditEntry, ChainCheck, entries, verify
from amlwatch.cases.audit import append as audit
from amlwatch.cases.exceptions import NotFound
from amlwatch.cases.repository import CaseFilter
from amlwatch.cases.seals import SEALS
from amlwatch.cases.security import (
    enforce_audit_reader,
    enforce_large_value_reader,
    large_value_rows,
    require,
    visible_branches,
)
from amlwatch.cases.submissions import LARGE_VALUE_FAMILIES, FileRecord, SubmissionLedger
from amlwatch.cases.usecases.base import OPEN_STATES, ReviewBase
from amlwatch.models import REPORT_DUE_WORKING_DAYS, Case, CaseState, Role, User


@dataclass(slots=True)
class Dashboard:
    per_day: list[tuple[dt.date, int]]
    per_rule: dict[str, int]
    rules: list[dict[str, Any]] = field(default_factory=list)  # effectiveness per standard


@dataclass(frozen=True, slots=True)
class LargeValueDay:
    """A night's large-value report as the list of days shows it."""

    night: dt.date
    records: int  # the rows the user may see (a branch user: their branches')
    customers: int
    due: dt.date | None  # the earliest trade date's deadline
    files: int  # regulator files of the night (not superseded)
    waiting: int  # of which written and not yet uploaded
    uploaded_at: dt.datetime | None  # the latest upload of them


def _yyyymmdd(text: str) -> dt.date | None:
    """A report's trade date (2026-10-26, or 20261026)."""
    for form in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text.strip().lstrip("'"), form).date()
        except ValueError:
            continue
    return None


@dataclass(slots=True)
class PeriodCases:
    """The cases a work report covers: opened in the period, or confirmed in it."""

    opened: list[Case]
    confirmed: list[Case]
    reasons: dict[str, str]  # dismissal reason code → label


class Oversight(ReviewBase):
    """What auditors, approvers and the leading group look at."""

    def large_value_days(
        self, actor: User, reports: Mapping[dt.date, tuple[Sequence[str], list[list[str]]]]
    ) -> list[LargeValueDay]:
        """Per night with a large-value report (its tags and rows, as the reports folder holds
        them), what this user may see of it: records and customers (a branch user's own),
        the earliest deadline of its trade dates, and where its regulator files stand."""
        branches = enforce_large_value_reader(actor)
        by_night: dict[dt.date, list[FileRecord]] = defaultdict(list)
        for record in SubmissionLedger(self.store).files(limit=5000):
            if record.family in LARGE_VALUE_FAMILIES and record.run_date is not None:
                by_night[record.run_date].append(record)
        out = []
        for night, (tags, rows) in sorted(reports.items(), reverse=True):
            mine = large_value_rows(branches, tags, rows)
            customer = list(tags).index("CSNM") if "CSNM" in tags else None
            day = list(tags).index("HTDT") if "HTDT" in tags else None
            found = (_yyyymmdd(r[day]) for r in mine) if day is not None else iter(())
            trade_days = sorted(d for d in found if d is not None)
            files = [f for f in by_night.get(night, []) if f.status != "superseded"]
            out.append(
                LargeValueDay(
                    night=night,
                    records=len(mine),
                    customers=len({r[customer] for r in mine}) if customer is not None else 0,
                    due=self.add_working_days(trade_days[0], REPORT_DUE_WORKING_DAYS)
                    if trade_days
                    else None,
                    files=len(files),
                    waiting=sum(f.status == "written" for f in files),
                    uploaded_at=max((f.uploaded_at for f in files if f.uploaded_at), default=None),
                )
            )
        return out

    def open_large_value_report(
        self,
        actor: User,
        day: dt.date,
        tags: Sequence[str],
        rows: list[list[str]],
        download: str = "",
    ) -> tuple[list[list[str]], bool]:
        """The rows of a day's large-value report this user may see (or download as
        `download`: csv, xlsx), and whether they are limited to the user's branches; the
        opening or the download is audited."""
        branches = enforce_large_value_reader(actor, download)
        with self.store.write() as con:
            if download:
                what = f"large-value {download}"
                audit(con, actor.username, "download", f"large-value:{day}", what=what)
            else:
                audit(con, actor.username, "large-value viewed", f"large-value:{day.isoformat()}")
        return large_value_rows(branches, tags, rows), branches is not None

    def audit_trail(
        self,
        actor: User,
        limit: int = 200,
        before: int | None = None,
        action: str | None = None,
        username: str | None = None,
        check: bool = False,
    ) -> tuple[list[AuditEntry], ChainCheck | None]:
        """The audit entries (newest first, filtered) and, when asked, the chain's check;
        the reading is itself audited."""
        enforce_audit_reader(actor)
        # administrators see no case content, not even in the log of the decisions
        admin = actor.role is Role.ADMIN
        # the seals are for `verify`, not for reading: shown only when asked for by action
        hidden = () if action else SEALS
        rows = entries(self.store, limit, before, action, username, admin, hidden)
        checked = verify(self.store, self.audit_checkpoints) if check else None
        with self.store.write() as con:
            audit(con, actor.username, "download", "audit", what="audit log view")
        return rows, checked

    def dashboard(self, actor: User, days: int = 30, until: dt.date | None = None) -> Dashboard:
        """Alerts per day (the `days` up to `until`, when chosen) and per rule, and per
        monitoring standard the effectiveness figures the regulation asks banks to assess."""
        require(actor, Role.APPROVER, Role.AUDITOR, Role.LIAISON)
        branches = visible_branches(actor)
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
        # the last `days` days, or, when nothing was opened in them, the `days` up to the
        # latest case (a bank's data of another month): never an empty chart
        latest = max((c.first_scan_date for c in everything), default=today)
        end = today if latest > today - dt.timedelta(days=days) else latest
        end = until or end
        start = end - dt.timedelta(days=days - 1)
        per_day_counter = Counter(
            c.first_scan_date for c in everything if start <= c.first_scan_date <= end
        )
        per_day = [
            (start + dt.timedelta(days=i), per_day_counter.get(start + dt.timedelta(days=i), 0))
            for i in range(days)
        ]
        by_rule: dict[str, list[Case]] = defaultdict(list)
        for c in everything:  # a case of several standards counts under each
            for code in c.codes:
                by_rule[code].append(c)
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
                    "rule_name": dict(group[0].standards).get(code, group[0].rule_name),
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

    def period_cases(self, actor: User | None, start: dt.date, end: dt.date) -> PeriodCases:
        """The cases of a period for the leading group's work report: every case whose alert
        first hit in it, and every case confirmed in it, within the user's branches (`None`:
        the operator's command line, the whole bank). A download by a user is audited."""
        branches = None
        if actor is not None:
            require(actor, Role.APPROVER, Role.AUDITOR)
            branches = visible_branches(actor)
        with self.store.read() as con:
            everything = repo.find_cases(con, CaseFilter(snoozed=None), branches, 10**9)
            reasons = {code: label for code, label, _ in repo.reasons(con, active_only=False)}
        if actor is not None:
            with self.store.write() as con:
                audit(con, actor.username, "download", "work-report", period=f"{start}..{end}")
        return PeriodCases(
            [c for c in everything if start <= c.first_scan_date <= end],
            [c for c in everything if c.approved_on and start <= c.approved_on <= end],
            reasons,
        )

    def record_refused(self, actor: User, method: str, path: str, status: int) -> None:
        """A request refused (403) or answered "no such thing" (404): who probed what. Only
        the path (its ids), never a query string, so nothing a person typed is kept."""
        with self.store.write() as con:
            audit(con, actor.username, "request refused", path[:128], method=method, status=status)

    def upload_register(self, actor: User) -> list[FileRecord]:
        """The regulator files, newest first, for those who upload them (approvers) and
        auditors; the reading is audited."""
        require(actor, Role.APPROVER, Role.AUDITOR)
        records = SubmissionLedger(self.store).files(limit=500)
        with self.store.write() as con:
            audit(con, actor.username, "upload register viewed", "submission")
        return records

    def may_mark_uploaded(self, actor: User) -> None:
        """Only an approver records an upload (the mark itself is audited by the ledger)."""
        require(actor, Role.APPROVER)

    def console_uploader(self, username: str) -> User:
        """The person of the app an upload recorded at the console is recorded as (`--as`):
        an active approver, never the operating-system user."""
        with self.store.read() as con:
            user = repo.user_by_name(con, username)
        if user is None or not user.active:
            raise NotFound(f"无此在用用户 {username} / no active user of the app of that name")
        self.may_mark_uploaded(user)
        return user
