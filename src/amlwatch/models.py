"""Domain types shared by every layer. Imports nothing of amlwatch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

CHINA_TIME = ZoneInfo("Asia/Shanghai")


def in_china(moment: dt.datetime) -> dt.datetime:
    """A time the product's own clock wrote (`datetime.now()`: the server's local time, no
    zone) or any time with a zone, in Beijing time: what every form and message dates by."""
    return (moment if moment.tzinfo else moment.astimezone()).astimezone(CHINA_TIME)


class ColumnType(StrEnum):
    """Logical types of input columns."""

    STRING = "string"
    ENUM = "enum"
    BOOL = "bool"
    DECIMAL = "decimal"  # decimal(20,3)
    TIMESTAMP = "timestamp"
    DATE = "date"
    CURRENCY = "currency"


@dataclass(frozen=True, slots=True)
class Column:
    """One input column: its type, whether it is required and what values it takes."""

    name: str
    type: ColumnType = ColumnType.STRING
    required: bool = False
    choices: tuple[str, ...] = ()
    non_negative: bool = False
    positive: bool = False
    scale: int = 3  # decimal places kept for DECIMAL columns


class InputKind(StrEnum):
    """The four inputs of the data contract, in the order they must be loaded."""

    CUSTOMERS = "customers"
    ACCOUNTS = "accounts"
    FX_RATES = "fx_rates"
    TRANSACTIONS = "transactions"


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """One input row that was not loaded, with where it was and why."""

    file: str
    line: int
    column: str | None
    reason: str
    raw: str


@dataclass(slots=True)
class InputFile:
    """One file of an inbox date folder, fingerprinted (a streamed file's fingerprint is
    filled in when the stream has been read to its end)."""

    kind: InputKind
    path: str
    format: str
    sha256: str
    size_bytes: int
    encoding: str | None = None


@dataclass(slots=True)
class LoadReport:
    """What one load of a business date did."""

    load_id: str
    business_date: dt.date
    files: list[InputFile] = field(default_factory=list)
    rows_in: dict[str, int] = field(default_factory=dict)
    rows_loaded: dict[str, int] = field(default_factory=dict)
    rows_quarantined: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0
    replaced_load_id: str | None = None
    quiet_day: bool = False
    sample_rejects: list[RejectedRow] = field(default_factory=list)
    # coded values the product does not know (loaded, treated conservatively: an unknown
    # exemption exempts nothing): table, column, value (masked if long), rows, first line
    unknown_codes: list[dict[str, Any]] = field(default_factory=list)
    # data the regulator's messages would refuse (masked; stages.data_issues): loaded, listed
    data_issues: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total_in(self) -> int:
        """Input rows over all files."""
        return sum(self.rows_in.values())

    @property
    def total_loaded(self) -> int:
        """Loaded rows over all files."""
        return sum(self.rows_loaded.values())

    @property
    def total_quarantined(self) -> int:
        """Quarantined rows over all files."""
        return sum(self.rows_quarantined.values())


@dataclass(slots=True)
class LargeValueSummary:
    """What one large-value scan found."""

    trade_dates: list[dt.date] = field(default_factory=list)
    transactions_scanned: int = 0
    hits_by_code: dict[str, int] = field(default_factory=dict)
    rule_packs: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def hits(self) -> int:
        """Hits over all characteristics."""
        return sum(self.hits_by_code.values())


@dataclass(slots=True)
class PatternSummary:
    """What one scatter / concentrate scan found."""

    scan_dates: list[dt.date] = field(default_factory=list)
    transactions_scanned: int = 0
    hits_by_code: dict[str, int] = field(default_factory=dict)
    alerts_opened: dict[str, int] = field(default_factory=dict)
    alerts_extended: dict[str, int] = field(default_factory=dict)
    rule_packs: list[str] = field(default_factory=list)
    skipped: list[dt.date] = field(default_factory=list)  # no pattern rules in force
    duration_s: float = 0.0

    @property
    def alerts(self) -> int:
        """Alerts opened or extended by this scan."""
        return sum(self.alerts_opened.values()) + sum(self.alerts_extended.values())


@dataclass(slots=True)
class NetworkSummary:
    """What one network scan found: structures per standard code (on trial and in force),
    the customers in any of them, the transfers read."""

    scan_dates: list[dt.date] = field(default_factory=list)
    structures_by_code: dict[str, int] = field(default_factory=dict)
    customers: int = 0
    edges_scanned: int = 0
    duration_s: float = 0.0


@dataclass(slots=True)
class RescanSummary:
    """The later nights re-scanned after a date's input was replaced, and what changed."""

    scan_dates: list[dt.date] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)  # alert ids that exist only now
    removed: list[str] = field(default_factory=list)  # alert ids that no longer exist
    changed: list[str] = field(default_factory=list)  # same id, other window or metrics


@dataclass(slots=True)
class CalendarCheck:
    """Tonight's calendar: whether it is provisional, the warnings for the operators, and the
    earlier provisional nights re-done because their year's official schedule has arrived."""

    provisional: bool = False  # tonight's window or deadline rests on a provisional year
    notes: list[str] = field(default_factory=list)  # what the operators must read
    rescanned: list[dt.date] = field(default_factory=list)  # nights whose window changed
    reports_rewritten: list[dt.date] = field(default_factory=list)  # nights whose due changed
    confirmed: list[dt.date] = field(default_factory=list)  # provisional nights now official
    opened: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Filing:
    """What a regulatory filing wrote: message stems, ZIP packages, record counts."""

    folder: Path
    files: list[str] = field(default_factory=list)  # message stems
    packages: list[str] = field(default_factory=list)  # ZIP file names
    new_records: int = 0
    corrected_records: int = 0
    deleted_records: int = 0
    superseded: list[str] = field(default_factory=list)
    attachment_sha256: str = ""  # a suspicious report's attachment package, when it has one
    actions: list[str] = field(default_factory=list)  # open items of all filings, overdue first
    overdue: int = 0  # files past their deadline and not yet uploaded (or to be sent again)
    held_records: int = 0  # records the validator refused: held (待补正) in the register
    held: list[str] = field(default_factory=list)  # each held record and why (masked)
    held_keys: list[tuple[str, str, str, str]] = field(default_factory=list)  # their keys
    refiled_records: int = 0  # records held on an earlier night that went out tonight (补报)


@dataclass(slots=True)
class NightlyReport:
    """One night's run: what was loaded and what the scanners found."""

    load: LoadReport
    large_value: LargeValueSummary | None = None
    large_value_report: Any = None  # the report files written (amlwatch.reports.ReportFiles)
    patterns: PatternSummary | None = None
    network: NetworkSummary | None = None
    suspicious_report: Any = None
    rescan: RescanSummary | None = None
    calendar: CalendarCheck | None = None
    submission: Filing | None = None
    cases: Any = None  # what the intake into the case store did (amlwatch.cases.Intake)
    screening: Any = None  # what list screening found (amlwatch.stages.screening.Screened)
    rating: Any = None  # what the risk rating did (amlwatch.stages.rating.Rated)
    run_id: str | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float | None = None


# --- case review -------------------------------------------------------------------------


class Role(StrEnum):
    """What a user of the review app may do."""

    LIAISON = "liaison"  # 反洗钱联络员: reviews the cases of the branches assigned to them
    APPROVER = "approver"  # 复审 / 终审: approves or sends back proposed reports
    ADMIN = "admin"  # users, branch assignments, dismissal reasons; sees no case
    AUDITOR = "auditor"  # reads everything, changes nothing


class CaseState(StrEnum):
    """A case's place in the review workflow."""

    NEW = "new"
    IN_REVIEW = "in_review"
    PROPOSED = "proposed"  # proposed for report, waiting for the next approval level
    DISMISSAL_PROPOSED = "dismissal_proposed"  # dismissal proposed, waiting for a second look
    DISMISSED = "dismissed"
    APPROVED = "approved"
    REPORT_GENERATED = "report_generated"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    CORRECTION_REQUESTED = "correction_requested"
    REJECTED = "rejected"


# a case whose report of this round exists; a continuing pattern opens the next round
REPORTED = frozenset(
    {CaseState.REPORT_GENERATED, CaseState.SUBMITTED, CaseState.ACCEPTED,
     CaseState.CORRECTION_REQUESTED, CaseState.REJECTED}
)  # fmt: skip

# the states a case can move to from each state (receipts drive the last three; a pattern
# that continues after a report opens a continuing round: back to NEW)
TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    CaseState.NEW: frozenset({CaseState.IN_REVIEW}),
    CaseState.IN_REVIEW: frozenset(
        {CaseState.PROPOSED, CaseState.DISMISSED, CaseState.DISMISSAL_PROPOSED}
    ),
    # a dismissal's second look: confirmed by an approver, or sent back
    CaseState.DISMISSAL_PROPOSED: frozenset({CaseState.DISMISSED, CaseState.IN_REVIEW}),
    CaseState.PROPOSED: frozenset({CaseState.PROPOSED, CaseState.APPROVED, CaseState.IN_REVIEW}),
    CaseState.DISMISSED: frozenset({CaseState.NEW}),  # the pattern continued: reopened
    # no report could be made of it: it stays approved and held (a "report held" event) until
    # it is; back to PROPOSED only in histories from before (their "report failed")
    CaseState.APPROVED: frozenset({CaseState.REPORT_GENERATED, CaseState.PROPOSED}),
    CaseState.REPORT_GENERATED: frozenset(
        {CaseState.SUBMITTED, CaseState.REPORT_GENERATED, CaseState.NEW}
    ),
    CaseState.SUBMITTED: frozenset(
        {CaseState.ACCEPTED, CaseState.CORRECTION_REQUESTED, CaseState.REJECTED, CaseState.NEW}
    ),
    CaseState.ACCEPTED: frozenset({CaseState.NEW}),
    CaseState.CORRECTION_REQUESTED: frozenset({CaseState.REPORT_GENERATED}),
    CaseState.REJECTED: frozenset({CaseState.REPORT_GENERATED}),
}


@dataclass(frozen=True, slots=True)
class User:
    """A person using the review app."""

    id: int
    username: str
    display_name: str
    role: Role
    branches: frozenset[str] = frozenset()
    active: bool = True
    # an administrator reset the password (who, when): it must be changed before anything else
    must_change_password: bool = False
    password_reset_by: str | None = None
    password_reset_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """One customer's alerts in one window under review — one per standard that hit — as
    the lists and the case page show it; `rule_code` and `alert_id` are the opening alert's."""

    id: int
    alert_id: str
    rule_code: str
    rule_name: str
    customer_id: str
    customer_name: str
    branch_code: str
    window_start: dt.date
    window_end: dt.date
    first_scan_date: dt.date
    last_scan_date: dt.date
    score: float
    in_total: str
    out_total: str
    evidence_count: int
    state: CaseState
    snapshot_version: int
    snoozed: bool
    level: int  # review levels passed: 1 once proposed (初审), 2 after 复审, …
    stcb: str
    aosp: str
    crime_types: tuple[str, ...]
    urgency: str
    dismissal_reason: str | None
    dismissal_text: str | None
    review_version: int | None  # the snapshot version the proposal was made on
    approved_on: dt.date | None
    due_date: dt.date | None
    report_name: str | None
    submitted_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime
    report_times: int = 0  # reports of earlier rounds (a continuing report is the next)
    first_report: str | None = None  # the first report's message name (ORXN of the next)
    direction: str = "01"  # DORP: to CAMLMAC, and for an urgent report the PBOC branch too
    urgent_reason: str | None = None  # why the report is 特别紧急 (DETR 02)
    assignee: str | None = None  # the liaison who works the case (None: 未分配)
    # every standard that hit the customer in the case's window, (code, name), the opening
    # alert's first: the report's characteristic codes (STCR)
    standards: tuple[tuple[str, str], ...] = ()
    kind: str = "customer"  # group: one network structure's customers (团伙, `case_members`)

    @property
    def group(self) -> bool:  # a group case (团伙): several customers, one structure of money
        return self.kind == "group"

    @property
    def codes(self) -> tuple[str, ...]:
        """The monitoring standards' codes of the case (STCR), the opening alert's first."""
        return tuple(code for code, _ in self.standards) or (self.rule_code,)

    @property
    def continuing(self) -> bool:
        """A round after a report: its report is a continuing one (续报, TORP ≥ 2)."""
        return self.report_times > 0 and self.state not in REPORTED

    @property
    def draft(self) -> bool:
        """Whether the narrative is still the system's draft (marked so on the case page)."""
        return any(m in self.stcb or m in self.aosp for m in DRAFT_MARKERS)


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One entry of a case's history."""

    at: dt.datetime
    username: str
    action: str
    from_state: str | None
    to_state: str | None
    level: int | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Snooze:
    """A subject's hits of one rule kept out of the review queue for a while."""

    id: int
    customer_id: str
    rule_code: str
    until: dt.date
    reason: str
    requested_by: str
    approved_by: str | None
    state: str  # requested | active | rejected
    branch_code: str


# large-value and confirmed suspicious reports alike are due 5 working days later
REPORT_DUE_WORKING_DAYS = 5
# the system's draft narrative says so; a report whose text still does is not filed
DRAFT_MARKERS = ("系统生成初稿", "进一步核实")


def split_narrative(narrative: str) -> tuple[str, str]:
    """An alert's draft narrative as (STCB, AOSP): the text before and after 【疑点分析】."""
    head, _, analysis = narrative.partition("【疑点分析】")
    stcb = head.replace("【资金交易及客户行为情况】", "").strip()
    return stcb or "@N", analysis.strip() or "@N"


def draft_problem(stcb: str, aosp: str, draft: tuple[str, str] | None = None) -> str | None:
    """Why a report's narrative is still the system's draft, or None when a person wrote it."""
    for _name, text in (("可疑交易特征描述（STCB）", stcb), ("疑点分析（AOSP）", aosp)):
        marker = next((m for m in DRAFT_MARKERS if m in text), None)
        if marker is not None:
            return f"{field}仍含系统初稿标记“{marker}”，请修改为人工分析后再提交 / still the draft"
    if draft is not None and (stcb.strip(), aosp.strip()) == (draft[0].strip(), draft[1].strip()):
        return "叙述与系统初稿相同，须经人工修改 / the draft has not been edited"
    return None
