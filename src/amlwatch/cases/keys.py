"""The numbers a case is found by, hashed: the subject's ID and accounts, the counterparties'
ID numbers and accounts. A search hashes what was typed and looks the hash up, so no index,
URL or log holds a clear number; the same keys link the cases sharing a counterparty."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select

from amlwatch.cases.tables import case_keys, cases

SUBJECT_KINDS = ("id", "account")
COUNTERPARTY_KINDS = ("cp_id", "cp_acct")
# a counterparty's ID may be another case's subject ID, and the same for accounts
SAME_NUMBER = {"id": "id", "cp_id": "id", "account": "account", "cp_acct": "account"}


def normal(value: object) -> str:
    """A number as it is compared: without spaces, upper case (an ID's final X)."""
    return "".join(str(value or "").split()).upper()


def hashed(value: object) -> str:
    return hashlib.sha256(normal(value).encode()).hexdigest()


def shown(value: object) -> str:
    return f"****{normal(value)[-4:]}"


def case_keys_of(content: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(kind, hash, masked number) of an evidence version's subject and counterparties
    (migration 0010 writes the same rule out for the cases it indexes)."""
    pairs = [("id", s.get("id_number")) for s in content.get("subjects") or []]
    for row in content.get("detail") or []:
        pairs += [
            ("account", row.get("account_id")),
            ("cp_id", row.get("counterparty_id_number")),
            ("cp_acct", row.get("counterparty_account")),
        ]
    return {(k, hashed(v), shown(v)) for k, v in pairs if len(normal(v)) >= 4}


def index_case(con: Connection, case_id: int, content: dict[str, Any]) -> None:
    """Replace a case's keys with those of its newest evidence version."""
    con.execute(delete(case_keys).where(case_keys.c.case_id == case_id))
    found = case_keys_of(content)
    if found:
        con.execute(
            insert(case_keys),
            [{"case_id": case_id, "kind": k, "key": h, "shown": s} for k, h, s in sorted(found)],
        )


def cases_with_number(con: Connection, kinds: Iterable[str], number: str) -> list[int]:
    """The cases whose subject (or counterparty) has this ID or account number."""
    rows = con.execute(
        select(case_keys.c.case_id)
        .where(case_keys.c.key == hashed(number), case_keys.c.kind.in_(list(kinds)))
        .distinct()
    )
    return sorted(int(r[0]) for r in rows)


def related(
    con: Connection, case_id: int, customer_id: str, branches: Collection[str] | None
) -> list[tuple[int, str, str]]:
    """(case id, kind of number shared, the number masked) of the other customers' cases
    that share a counterparty's ID or account with this case — as a counterparty of theirs
    or as their subject — in the viewer's branches."""
    own = con.execute(select(case_keys).where(case_keys.c.case_id == case_id)).all()
    if not own:
        return []
    mine = {(SAME_NUMBER[r.kind], r.key): r for r in own}
    conditions = [
        and_(case_keys.c.key == key, case_keys.c.kind.in_(_kinds(family))) for family, key in mine
    ]
    query = (
        select(case_keys.c.case_id, case_keys.c.kind, case_keys.c.key)
        .join(cases, cases.c.id == case_keys.c.case_id)
        .where(or_(*conditions), case_keys.c.case_id != case_id, cases.c.customer_id != customer_id)
    )
    if branches is not None:
        query = query.where(cases.c.branch_code.in_(sorted(branches)))
    found: dict[int, tuple[int, str, str]] = {}
    for other, kind, key in con.execute(query.order_by(case_keys.c.case_id)).all():
        ours = mine[(SAME_NUMBER[kind], key)]
        if ours.kind in SUBJECT_KINDS and kind in SUBJECT_KINDS:
            continue  # the same subject number under another customer number: not via a party
        found.setdefault(int(other), (int(other), str(ours.kind), str(ours.shown)))
    return list(found.values())


def _kinds(family: str) -> list[str]:
    return [k for k, f in SAME_NUMBER.items() if f == family]
