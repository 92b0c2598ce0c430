"""Alerts become cases after each nightly run.

Idempotent: an alert already a case with the same evidence changes nothing. A continuing
pattern (the alert was extended) adds a new immutable evidence version to its case and keeps
the history; a dismissed case whose pattern continues is reopened. Hits of a snoozed subject
and rule still become cases, marked snoozed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from amlwatch.cases import assignment, keys, snooze_rows
from amlwatch.cases import repository as repo
from amlwatch.cases.audit import append as audit
from amlwatch.cases.snapshot import digest, encode
from amlwatch.cases.store import CaseStore
from amlwatch.cases.usecases.base import SYSTEM
from amlwatch.models import CaseState


@dataclass(frozen=True, slots=True)
class AlertEvidence:
    """One alert as the warehouse has it tonight, with everything its report needs.

    Args:
        alert: the `suspicious_alerts` row with the subject's details.
        subjects: the subject's `customers` row(s).
        evidence: the evidence transactions as the report tables show them (leg, STIF fields).
        detail: the evidence transactions with account and customer, as the BSTR needs them.
        stcb, aosp: the draft narrative, split into the report's two fields.
    """

    alert: dict[str, Any]
    subjects: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    detail: list[dict[str, Any]]
    stcb: str
    aosp: str


@dataclass(slots=True)
class Intake:
    """What one intake did."""

    opened: list[int] = field(default_factory=list)
    extended: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    continuing: list[int] = field(default_factory=list)  # reported, and the pattern goes on
    unchanged: int = 0
    snoozed: list[int] = field(default_factory=list)


# the report of the round has gone out: new evidence opens a continuing round
CONTINUES = frozenset({CaseState.SUBMITTED, CaseState.ACCEPTED})


def open_cases(store: CaseStore, alerts: Sequence[AlertEvidence], scan_date: dt.date) -> Intake:
    """Open or update the cases of tonight's alerts, in one transaction."""
    result = Intake()
    now = dt.datetime.now()
    with store.write() as con:
        for item in alerts:
            a = item.alert
            content = encode(
                {
                    "alert": a,
                    "subjects": item.subjects,
                    "evidence": item.evidence,
                    "detail": item.detail,
                }
            )
            fingerprint = digest(content)
            metrics = {
                "rule_code": str(a["rule_code"]),
                "rule_name": str(a["rule_name"]),
                "customer_id": str(a["customer_id"]),
                "customer_name": str(a.get("customer_name") or ""),
                "branch_code": str(a.get("branch_code") or "-"),
                "window_start": a["window_start"],
                "window_end": a["window_end"],
                "first_scan_date": a["first_scan_date"],
                "last_scan_date": a["last_scan_date"],
                "score": float(a["score"]),
                "in_total": str(a["in_total"]),
                "out_total": str(a["out_total"]),
                "evidence_count": int(a["evidence_count"]),
            }
            case = repo.case_by_alert(con, str(a["alert_id"]))
            if case is None:
                snoozed = snooze_rows.active_snooze(
                    con, metrics["customer_id"], metrics["rule_code"], scan_date
                )
                case_id = repo.insert_case(
                    con,
                    alert_id=str(a["alert_id"]),
                    state=str(CaseState.NEW),
                    snapshot_version=1,
                    snoozed=snoozed,
                    level=0,
                    stcb=item.stcb,
                    aosp=item.aosp,
                    crime_types=[],
                    urgency="01",
                    created_at=now,
                    updated_at=now,
                    **metrics,
                )
                repo.add_snapshot(con, case_id, 1, scan_date, fingerprint, content)
                keys.index_case(con, case_id, content)
                repo.add_event(
                    con,
                    case_id,
                    SYSTEM,
                    "opened",
                    None,
                    str(CaseState.NEW),
                    version=1,
                    scan_date=scan_date.isoformat(),
                    snoozed=snoozed,
                )
                audit(con, SYSTEM, "case opened", f"case:{case_id}", alert=str(a["alert_id"]))
                to = assignment.by_rule(con, metrics["branch_code"])
                if to is not None:
                    assignment.assign(con, case_id, to, SYSTEM, "rule")
                result.opened.append(case_id)
                if snoozed:
                    result.snoozed.append(case_id)
                continue
            latest = repo.snapshot(con, case.id, case.snapshot_version)
            if latest is not None and latest[0] == fingerprint:
                result.unchanged += 1
                continue
            version = case.snapshot_version + 1
            repo.add_snapshot(con, case.id, version, scan_date, fingerprint, content)
            keys.index_case(con, case.id, content)
            values: dict[str, Any] = {"snapshot_version": version, "updated_at": now, **metrics}
            if case.state is CaseState.NEW:  # nobody has edited the draft yet
                values |= {"stcb": item.stcb, "aosp": item.aosp}
            target, action = case.state, "extended"
            if case.state is CaseState.DISMISSED:
                target, action = CaseState.NEW, "reopened"
                values |= {"state": str(target), "stcb": item.stcb, "aosp": item.aosp}
                result.reopened.append(case.id)
            elif case.state in CONTINUES:  # reported, and the pattern goes on: 续报
                target, action = CaseState.NEW, "continuing"
                values |= {
                    "state": str(target),
                    "stcb": item.stcb,
                    "aosp": item.aosp,
                    "level": 0,
                    "approved_on": None,
                    "due_date": None,
                    "submitted_on": None,
                    "decided_at": None,
                }
                result.continuing.append(case.id)
            repo.update_case(con, case.id, **values)
            repo.add_event(
                con,
                case.id,
                SYSTEM,
                action,
                str(case.state),
                str(target),
                version=version,
                scan_date=scan_date.isoformat(),
            )
            audit(con, SYSTEM, "case extended", f"case:{case.id}", version=version)
            if target is CaseState.NEW and (
                case.assignee not in assignment.liaisons_of(con, metrics["branch_code"])
            ):  # reopened or continuing, and its liaison gone: the rule gives it out again
                to = assignment.by_rule(con, metrics["branch_code"])
                assignment.assign(con, case.id, to, SYSTEM, "rule")
            if action != "continuing":
                result.extended.append(case.id)
    return result
