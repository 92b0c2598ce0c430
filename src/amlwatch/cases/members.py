"""The customers of a group case (团伙) with their roles, and the cases that share a customer:
a member who is already in an open case links the two cases (an event on each, audited)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from amlwatch.cases import repository as repo
from amlwatch.cases.audit import append as audit
from amlwatch.cases.tables import case_members, cases
from amlwatch.models import Case

# a case that can change no more (its report accepted, or dismissed) links nothing new
SETTLED = ("dismissed", "accepted")


def set_members(con: Connection, case_id: int, roles: Mapping[str, str], version: int) -> None:
    """Record a group case's customers and roles (a member already recorded keeps the version
    it came with; its role is the newest)."""
    known = dict(members_of(con, case_id))
    for customer, role in roles.items():
        if customer not in known:
            values = {"case_id": case_id, "customer_id": customer, "role": role}
            con.execute(insert(case_members).values(**values, added_version=version))
        elif known[customer] != role:
            con.execute(
                update(case_members)
                .where(case_members.c.case_id == case_id, case_members.c.customer_id == customer)
                .values(role=role)
            )


def members_of(con: Connection, case_id: int) -> list[tuple[str, str]]:
    """A group case's (customer, role), in the order they were recorded."""
    rows = con.execute(
        select(case_members.c.customer_id, case_members.c.role)
        .where(case_members.c.case_id == case_id)
        .order_by(case_members.c.added_version, case_members.c.customer_id)
    )
    return [(str(c), str(r)) for c, r in rows]


def customers_of(con: Connection, case: Case) -> list[str]:
    """Who a case is about: a group case's members, else its customer."""
    return [c for c, _ in members_of(con, case.id)] if case.group else [case.customer_id]


def cases_sharing(
    con: Connection,
    case_id: int,
    customers: Collection[str],
    branches: Collection[str] | None = None,
    settled: bool = True,
) -> list[tuple[Case, list[str]]]:
    """The other cases about any of these customers (as their customer or as a member of a
    group), oldest first, each with the customers they share; without `settled` only those
    still open; with `branches` only cases of those branches."""
    wanted = sorted(set(customers))
    if not wanted:
        return []
    in_group = select(case_members.c.case_id).where(case_members.c.customer_id.in_(wanted))
    query = select(cases).where(
        cases.c.id != case_id,
        or_(
            (cases.c.kind == "customer") & cases.c.customer_id.in_(wanted),
            cases.c.id.in_(in_group),
        ),
    )
    if not settled:
        query = query.where(cases.c.state.not_in(SETTLED))
    if branches is not None:
        query = query.where(cases.c.branch_code.in_(sorted(branches)))
    found = [repo.to_case(r) for r in con.execute(query.order_by(cases.c.id))]
    out = []
    for other in found:
        theirs = set(customers_of(con, other))
        out.append((other, sorted(theirs & set(wanted))))
    return out


def link_open_cases(con: Connection, case: Case, customers: Sequence[str], by: str) -> list[int]:
    """Link a case just opened with the open cases about any of its customers: an event on
    each case naming the other and the shared customers, and one audit entry per pair."""
    linked = []
    for other, shared in cases_sharing(con, case.id, customers, settled=False):
        who = "、".join(shared)
        repo.add_event(con, case.id, by, "linked", case=other.id, customers=who)
        repo.add_event(con, other.id, by, "linked", case=case.id, customers=who)
        audit(con, by, "cases linked", f"case:{case.id}", case=other.id, customers=who)
        linked.append(other.id)
    return linked


# a structure that shares this many customers with a group case (in a window that meets) is
# the same group's money: it joins that case; one shared customer only links the cases
SAME_GROUP = 2


def group_cases_in_window(
    con: Connection, customers: Collection[str], first: dt.date, last: dt.date
) -> list[Case]:
    """The group cases with at least `SAME_GROUP` of these customers whose window meets
    [first, last], oldest first."""
    shared = (
        select(case_members.c.case_id)
        .where(case_members.c.customer_id.in_(sorted(set(customers))))
        .group_by(case_members.c.case_id)
        .having(func.count() >= SAME_GROUP)
    )
    rows = con.execute(
        select(cases)
        .where(
            cases.c.kind == "group",
            cases.c.id.in_(shared),
            cases.c.window_start <= last,
            cases.c.window_end >= first,
        )
        .order_by(cases.c.id)
    )
    return [repo.to_case(r) for r in rows]


def merged(structures: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One group case's structures as one (what its page draws): every customer once with
    the role of the first structure it is in, every transfer once in time order, with what
    each customer received and sent over them; the figures of the first structure, the
    highest score, and the ids of all."""
    if len(structures) == 1:
        return dict(structures[0]) | {"structure_ids": [structures[0]["structure_id"]]}
    people: dict[str, dict[str, Any]] = {}
    transfers: dict[str, dict[str, Any]] = {}
    for s in structures:
        for m in s["members"]:
            people.setdefault(str(m["customer_id"]), dict(m))
        for e in s["edges"]:
            transfers.setdefault(str(e["txn_id"]), e)
    edges = sorted(transfers.values(), key=lambda e: (e["booked_at"], str(e["txn_id"])))
    edges = [e | {"step": n} for n, e in enumerate(edges)]
    for m in people.values():
        mine = str(m["customer_id"])
        m["received_cny"] = sum(
            (e["amount_cny"] for e in edges if str(e["payee_customer"]) == mine), Decimal(0)
        )
        m["sent_cny"] = sum(
            (e["amount_cny"] for e in edges if str(e["payer_customer"]) == mine), Decimal(0)
        )
    accounts = {e[k] for e in edges for k in ("payer_account", "payee_account")}
    return dict(structures[0]) | {
        "structure_ids": [s["structure_id"] for s in structures],
        "score": max(s["score"] for s in structures),
        "edge_count": len(edges),
        "member_count": len(people),
        "account_count": len(accounts),
        "shared_members": max(s["shared_members"] for s in structures),
        "new_accounts": max(s["new_accounts"] for s in structures),
        "members": list(people.values()),
        "edges": edges,
    }
