"""Alerts become cases after each nightly run.

One case per customer and window (一客户一窗口一案件): every standard that hits a customer in
windows that meet joins one case, which lists each standard with its own evidence and draft
sentence; the alerts stay one per standard. Idempotent: an alert already in a case with the
same evidence changes nothing. A continuing pattern (an alert was extended) or a standard
that joins adds a new immutable evidence version to the case and keeps the history; a
dismissed case whose pattern continues is reopened. Hits of a snoozed subject and rule still
become cases, marked snoozed.

A network structure's hit is a group case (团伙) of its own: one case per structure, its
customers all subjects with their roles (`members`); a member who is already in an open case
links the two cases, and so does a customer's new case with an open group case it is in.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from amlwatch.cases import alert_links, assignment, keys, members, snooze_rows
from amlwatch.cases import repository as repo
from amlwatch.cases.audit import append as audit
from amlwatch.cases.members import merged
from amlwatch.cases.snapshot import decode, digest, encode
from amlwatch.cases.store import CaseStore
from amlwatch.cases.usecases.base import SYSTEM
from amlwatch.models import Case, CaseState, split_narrative


@dataclass(frozen=True, slots=True)
class AlertEvidence:
    """One alert as the warehouse has it tonight, with everything its report needs.

    Args:
        alert: the `suspicious_alerts` row with the subject's details.
        subjects: the subject's `customers` row(s).
        evidence: the evidence transactions as the report tables show them (leg, STIF fields).
        detail: the evidence transactions with account and customer, as the BSTR needs them.
        stcb, aosp: the draft narrative, split into the report's two fields.
        structure: a network structure's hit (a group case): its figures, `members` (customer,
            role, name, …) and `edges` (its transfers in path order); None for a customer's.
    """

    alert: dict[str, Any]
    subjects: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    detail: list[dict[str, Any]]
    stcb: str
    aosp: str
    structure: dict[str, Any] | None = None


@dataclass(slots=True)
class Intake:
    """What one intake did."""

    opened: list[int] = field(default_factory=list)
    extended: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    continuing: list[int] = field(default_factory=list)  # reported, and the pattern goes on
    unchanged: int = 0
    snoozed: list[int] = field(default_factory=list)
    linked: dict[int, list[int]] = field(default_factory=dict)  # opened case: open cases it met


# the report of the round has gone out: new evidence opens a continuing round
CONTINUES = frozenset({CaseState.SUBMITTED, CaseState.ACCEPTED})


@dataclass(slots=True)
class _Group:
    """Tonight's alerts of one customer and window, and the case they belong to (None: a
    case to open)."""

    case: Case | None
    items: list[AlertEvidence] = field(default_factory=list)
    joining: list[AlertEvidence] = field(default_factory=list)  # not yet part of the case

    def span(self) -> tuple[dt.date, dt.date]:
        return (
            min(i.alert["window_start"] for i in self.items),
            max(i.alert["window_end"] for i in self.items),
        )


def _groups(con: Any, alerts: Sequence[AlertEvidence]) -> list[_Group]:
    """Tonight's alerts by the case they go to: the case an alert is already part of, else
    a case whose window meets the alert's — of its customer, or for a structure a group
    case with at least `members.SAME_GROUP` of its customers — else a new case with
    tonight's other alerts of the customer (the group) whose windows meet."""
    known: dict[int, _Group] = {}
    loose: dict[str, list[AlertEvidence]] = defaultdict(list)
    structures: list[AlertEvidence] = []
    for item in alerts:
        case = repo.case_by_alert(con, str(item.alert["alert_id"]))
        if case is not None:
            known.setdefault(case.id, _Group(case)).items.append(item)
        elif item.structure is not None:
            structures.append(item)
        else:
            loose[str(item.alert["customer_id"])].append(item)
    fresh: list[_Group] = []
    for items in loose.values():  # one customer's
        fresh += _place(
            known, items, lambda i: alert_links.cases_in_window(con, _who(i), *_window(i))
        )
    fresh += _place(
        known,
        structures,
        lambda i: members.group_cases_in_window(con, _who(i), *_window(i)),
        lambda g, i: len(set().union(*map(_who, g.items)) & _who(i)) >= members.SAME_GROUP,
    )
    return [known[k] for k in sorted(known)] + sorted(fresh, key=lambda g: _order(g.items[0]))


def _place(
    known: dict[int, _Group],
    items: Sequence[AlertEvidence],
    stored: Callable[[AlertEvidence], list[Case]],
    same: Callable[[_Group, AlertEvidence], bool] = lambda g, i: True,
) -> list[_Group]:
    """Alerts not yet in a case, each to the stored case it joins, else to a new case with
    the alerts before it whose windows meet and that are the same subject (`same`)."""
    mine: list[_Group] = []
    for item in sorted(items, key=_order):
        first, last = _window(item)
        found = stored(item)
        if found:
            group = known.setdefault(found[0].id, _Group(found[0]))
            group.items.append(item)
            group.joining.append(item)
            continue
        meets = [g for g in mine if g.span()[0] <= last and g.span()[1] >= first and same(g, item)]
        if meets:
            meets[0].items.append(item)
        else:
            mine.append(_Group(None, [item]))
    return mine


def _window(item: AlertEvidence) -> tuple[dt.date, dt.date]:
    return item.alert["window_start"], item.alert["window_end"]


def _who(item: AlertEvidence) -> set[str]:
    """Whom an alert is about: a structure's customers, else its customer."""
    if item.structure is None:
        return {str(item.alert["customer_id"])}
    return {str(m["customer_id"]) for m in item.structure["members"]}


def _order(item: AlertEvidence) -> tuple[str, str]:
    return (str(item.alert["rule_code"]), str(item.alert["alert_id"]))


def _content(group: _Group, earlier: dict[str, Any] | None) -> tuple[dict[str, Any], str, str]:
    """The case's evidence version: its alerts (tonight's replacing their earlier state),
    their evidence and detail rows alert by alert, and the draft narrative (STCB, AOSP)."""
    tonight = {str(i.alert["alert_id"]): i for i in group.items}
    alerts = {str(a["alert_id"]): a for a in (earlier or {}).get("alerts") or []}
    if earlier is not None and not alerts:
        alerts = {str(earlier["alert"]["alert_id"]): earlier["alert"]}
    old_rows: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for part in ("evidence", "detail"):
        for row in (earlier or {}).get(part) or []:
            old_rows[part][str(row["alert_id"])].append(row)
    alerts |= {k: i.alert for k, i in tonight.items()}
    opener = group.case.alert_id if group.case else min(tonight.values(), key=_order).alert
    primary = alerts[opener] if isinstance(opener, str) else opener
    others = [a for a in alerts.values() if a is not primary]
    order = [primary, *sorted(others, key=lambda a: (str(a["rule_code"]), str(a["alert_id"])))]

    def _rows(alert_id: str, part: str) -> list[dict[str, Any]]:
        item = tonight.get(alert_id)
        return list(getattr(item, part)) if item is not None else old_rows[part][alert_id]

    subjects = _subjects(group.items, earlier)
    content: dict[str, Any] = {"alert": primary}
    structures = _structures(earlier, tonight)
    if structures:  # a group case: its structures, their customers the subjects
        content["structures"] = {str(a["alert_id"]): structures[str(a["alert_id"])] for a in order}
        content["structure"] = merged(list(content["structures"].values()))
    if len(order) > 1:
        content["alerts"] = order
    content["subjects"] = subjects if subjects is not None else (earlier or {}).get("subjects", [])
    if structures:  # every member a subject, in the structure's order (its sources first)
        place = {str(m["customer_id"]): n for n, m in enumerate(content["structure"]["members"])}
        content["subjects"] = sorted(
            content["subjects"], key=lambda r: place.get(str(r["customer_id"]), len(place))
        )
    for part in ("evidence", "detail"):
        content[part] = [row for a in order for row in _rows(str(a["alert_id"]), part)]
    drafts = [split_narrative(str(a.get("narrative") or "")) for a in order]
    if len(order) == 1:
        item = tonight.get(str(primary["alert_id"]))
        stcb, aosp = (item.stcb, item.aosp) if item else drafts[0]
        return content, stcb, aosp
    heads = [f"（{n}）监测标准{a['rule_code']} {a['rule_name']}：" for n, a in enumerate(order, 1)]
    stcb = "\n".join(h + d[0] for h, d in zip(heads, drafts, strict=True))
    aosp = "\n".join(h + d[1] for h, d in zip(heads, drafts, strict=True))
    content["narrative"] = f"【资金交易及客户行为情况】{stcb}【疑点分析】{aosp}"
    return content, stcb, aosp


def _subjects(
    items: Sequence[AlertEvidence], earlier: dict[str, Any] | None
) -> list[dict[str, Any]] | None:
    """The case's subjects: a customer case's from tonight's alerts (None: keep the earlier
    version's); a group case's every customer of its structures, tonight's rows first."""
    if not any(i.structure is not None for i in items):
        return next((i.subjects for i in items if i.subjects), None)
    found: dict[str, dict[str, Any]] = {}
    for row in [s for i in items for s in i.subjects] + list((earlier or {}).get("subjects") or []):
        found.setdefault(str(row["customer_id"]), row)
    return list(found.values())


def _structures(
    earlier: dict[str, Any] | None, tonight: dict[str, AlertEvidence]
) -> dict[str, Any]:
    """A group case's structures by alert id: the earlier version's, tonight's replacing."""
    found = dict((earlier or {}).get("structures") or {})
    found |= {k: i.structure for k, i in tonight.items() if i.structure is not None}
    return found


def _metrics(content: dict[str, Any]) -> dict[str, Any]:
    """The case row's figures: the opening alert's, with the window, scan dates and score
    over every alert of the case."""
    a = content["alert"]
    alerts = content.get("alerts") or [a]
    txns = {str(r["txn_id"]) for r in content["evidence"]}
    return {
        "rule_code": str(a["rule_code"]),
        "rule_name": str(a["rule_name"]),
        "customer_id": str(a["customer_id"]),
        "customer_name": str(a.get("customer_name") or ""),
        "branch_code": str(a.get("branch_code") or "-"),
        "window_start": min(x["window_start"] for x in alerts),
        "window_end": max(x["window_end"] for x in alerts),
        "first_scan_date": min(x["first_scan_date"] for x in alerts),
        "last_scan_date": max(x["last_scan_date"] for x in alerts),
        "score": max(float(x["score"]) for x in alerts),
        "in_total": str(a["in_total"]),
        "out_total": str(a["out_total"]),
        "evidence_count": len(txns) if len(alerts) > 1 else int(a["evidence_count"]),
        "standards": [
            list(x)
            for x in dict.fromkeys((str(a["rule_code"]), str(a["rule_name"])) for a in alerts)
        ]
        if len(alerts) > 1
        else None,
        "kind": "group" if "structure" in content else "customer",
    }


def _link(
    con: Any, case_id: int, items: Sequence[AlertEvidence], version: int, day: dt.date
) -> None:
    for item in items:
        a = item.alert
        code, name = str(a["rule_code"]), str(a["rule_name"])
        alert_links.link_alert(con, case_id, str(a["alert_id"]), code, name, version, day)


def open_cases(store: CaseStore, alerts: Sequence[AlertEvidence], scan_date: dt.date) -> Intake:
    """Open or update the cases of tonight's alerts, in one transaction."""
    result = Intake()
    now = dt.datetime.now()
    with store.write() as con:
        for group in _groups(con, alerts):
            case = group.case
            latest = repo.snapshot(con, case.id, case.snapshot_version) if case else None
            earlier = decode(latest[1]) if latest is not None else None
            body, stcb, aosp = _content(group, earlier)
            content = encode(body)
            fingerprint = digest(content)
            metrics = _metrics(body)
            if case is None:
                snoozed = all(
                    snooze_rows.active_snooze(
                        con, metrics["customer_id"], str(i.alert["rule_code"]), scan_date
                    )
                    for i in group.items
                )
                case_id = repo.insert_case(
                    con,
                    alert_id=str(body["alert"]["alert_id"]),
                    state=str(CaseState.NEW),
                    snapshot_version=1,
                    snoozed=snoozed,
                    level=0,
                    stcb=stcb,
                    aosp=aosp,
                    crime_types=[],
                    urgency="01",
                    created_at=now,
                    updated_at=now,
                    **metrics,
                )
                _link(con, case_id, group.items, 1, scan_date)
                who = _members(con, case_id, body, 1)
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
                    **_standards_detail(group.items),
                )
                alert_ids = ",".join(str(i.alert["alert_id"]) for i in group.items)
                audit(con, SYSTEM, "case opened", f"case:{case_id}", alert=alert_ids)
                to = assignment.by_rule(con, metrics["branch_code"])
                if to is not None:
                    assignment.assign(con, case_id, to, SYSTEM, "rule")
                opened = repo.case_by_id(con, case_id)
                assert opened is not None
                result.linked[case_id] = members.link_open_cases(con, opened, who, SYSTEM)
                result.opened.append(case_id)
                if snoozed:
                    result.snoozed.append(case_id)
                continue
            if latest is not None and latest[0] == fingerprint:
                result.unchanged += 1
                continue
            version = case.snapshot_version + 1
            _link(con, case.id, group.joining, version, scan_date)
            _members(con, case.id, body, version)
            repo.add_snapshot(con, case.id, version, scan_date, fingerprint, content)
            keys.index_case(con, case.id, content)
            values: dict[str, Any] = {"snapshot_version": version, "updated_at": now, **metrics}
            if case.state is CaseState.NEW:  # nobody has edited the draft yet
                values |= {"stcb": stcb, "aosp": aosp}
            target, action = case.state, "extended"
            if case.state is CaseState.DISMISSED:
                target, action = CaseState.NEW, "reopened"
                values |= {"state": str(target), "stcb": stcb, "aosp": aosp}
                result.reopened.append(case.id)
            elif case.state in CONTINUES:  # reported, and the pattern goes on: 续报
                target, action = CaseState.NEW, "continuing"
                values |= {
                    "state": str(target),
                    "stcb": stcb,
                    "aosp": aosp,
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
                **_standards_detail(group.joining),
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


def _members(con: Any, case_id: int, content: dict[str, Any], version: int) -> list[str]:
    """Record a group case's members with their roles; the customers the case is about."""
    structure = content.get("structure")
    if structure is None:
        return [str(content["alert"]["customer_id"])]
    roles = {str(m["customer_id"]): str(m["role"]) for m in structure["members"]}
    members.set_members(con, case_id, roles, version)
    return list(roles)


def _standards_detail(items: Sequence[AlertEvidence]) -> dict[str, Any]:
    """The standards an event brought to the case, when there are several or they join."""
    codes = sorted({str(i.alert["rule_code"]) for i in items})
    return {"standards": "、".join(codes)} if codes else {}
