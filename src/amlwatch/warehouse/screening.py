"""The screening lists' versions and what screening found, in the warehouse.

Each import of a list is a version: the file's SHA-256, when and by whom, and every entry as
that version has it (so any two versions can be compared and any past match shown with the
entry as it then was). Matches are stored per screened business date and trigger; a re-run
replaces them exactly.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from amlwatch.screening import ListEntry, ParsedList
from amlwatch.warehouse.database import Warehouse

MATCH_SCHEMA = pa.schema(
    [
        ("match_key", pa.string()), ("subject_kind", pa.string()), ("subject_ref", pa.string()),
        ("subject_digest", pa.string()), ("subject_name", pa.string()),
        ("customer_id", pa.string()), ("txn_id", pa.string()), ("list_code", pa.string()),
        ("list_version", pa.int32()), ("entry_ref", pa.string()), ("entry_digest", pa.string()),
        ("entry_name", pa.string()), ("score", pa.int32()), ("band", pa.string()),
        ("reasons", pa.string()),
    ]
)  # fmt: skip


@dataclass(frozen=True)
class ListVersion:
    list_code: str
    version: int
    format: str
    file: str
    sha256: str
    imported_at: dt.datetime
    imported_by: str
    generated_on: str | None
    entries: int
    added: int
    changed: int
    removed: int
    warnings: tuple[str, ...]
    unchanged: bool = False  # an import of the same file again: no new version


@dataclass(frozen=True)
class ListDiff:
    list_code: str
    old: int
    new: int
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]


def list_versions(warehouse: Warehouse, list_code: str | None = None) -> list[ListVersion]:
    """Every version of every list (or of one), newest first within a list."""
    rows = warehouse.records(
        """SELECT * FROM screening_list_versions WHERE ? IS NULL OR list_code = ?
           ORDER BY list_code, version DESC""",
        [list_code, list_code],
    )
    return [_version(r) for r in rows]


def _version(row: dict[str, Any], unchanged: bool = False) -> ListVersion:
    warnings = tuple(json.loads(row["warnings"])) if row["warnings"] else ()
    fields = {
        k: row[k] for k in ListVersion.__dataclass_fields__ if k not in ("warnings", "unchanged")
    }
    return ListVersion(**fields, warnings=warnings, unchanged=unchanged)


def store_list_version(
    warehouse: Warehouse,
    list_code: str,
    format: str,
    file: str,
    sha256: str,
    parsed: ParsedList,
    imported_by: str,
    now: dt.datetime,
) -> ListVersion:
    """The parsed list as the list's next version, with what it added, changed and removed
    against the current one, in one transaction. The same file as the current version again
    makes no new version."""
    with warehouse.transaction():
        current = warehouse.records(
            """SELECT * FROM screening_list_versions WHERE list_code = ?
               ORDER BY version DESC LIMIT 1""",
            [list_code],
        )
        if current and current[0]["sha256"] == sha256:
            return _version(current[0], unchanged=True)
        version = int(current[0]["version"]) + 1 if current else 1
        before = dict(
            warehouse.rows(
                "SELECT ref, digest FROM screening_list_entries WHERE list_code = ? AND version = ?",
                [list_code, version - 1],
            )
        )
        after = {e.ref: e.digest() for e in parsed.entries}
        added = [r for r in after if r not in before]
        changed = [r for r in after if r in before and before[r] != after[r]]
        removed = [r for r in before if r not in after]
        rows = pa.table(
            {
                "list_code": [list_code] * len(parsed.entries),
                "version": pa.array([version] * len(parsed.entries), pa.int32()),
                "ref": [e.ref for e in parsed.entries],
                "digest": [after[e.ref] for e in parsed.entries],
                "party_type": [e.party_type for e in parsed.entries],
                "name": [e.names[0].text for e in parsed.entries],
                "entry": [e.to_json() for e in parsed.entries],
            }
        )
        warehouse._con.register("_list_rows", rows)
        try:
            warehouse.execute("INSERT INTO screening_list_entries BY NAME SELECT * FROM _list_rows")
        finally:
            warehouse._con.unregister("_list_rows")
        warehouse.execute(
            "INSERT INTO screening_list_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [list_code, version, format, file, sha256, now, imported_by, parsed.generated_on,
             len(parsed.entries), len(added), len(changed), len(removed),
             json.dumps(list(parsed.warnings), ensure_ascii=False)],
        )  # fmt: skip
    return list_versions(warehouse, list_code)[0]


def list_diff(warehouse: Warehouse, list_code: str, old: int, new: int) -> ListDiff:
    """What version `new` of a list added, changed and removed against version `old`."""
    rows = warehouse.rows(
        """SELECT coalesce(a.ref, b.ref), a.digest, b.digest
           FROM (SELECT ref, digest FROM screening_list_entries WHERE list_code = ? AND version = ?) a
           FULL JOIN (SELECT ref, digest FROM screening_list_entries WHERE list_code = ? AND version = ?) b
           USING (ref) ORDER BY 1""",
        [list_code, old, list_code, new],
    )
    return ListDiff(
        list_code,
        old,
        new,
        added=tuple(r[0] for r in rows if r[1] is None),
        changed=tuple(r[0] for r in rows if r[1] is not None and r[2] is not None and r[1] != r[2]),
        removed=tuple(r[0] for r in rows if r[2] is None),
    )


def entries_in_force(warehouse: Warehouse) -> list[tuple[str, int, ListEntry]]:
    """The entries of each list's latest version: (list code, version, entry)."""
    rows = warehouse.rows(
        """SELECT e.list_code, e.version, e.entry FROM screening_list_entries e
           JOIN (SELECT list_code, max(version) AS version FROM screening_list_versions
                 GROUP BY list_code) v USING (list_code, version)
           ORDER BY e.list_code, e.ref"""
    )
    return [(str(code), int(version), ListEntry.from_json(entry)) for code, version, entry in rows]


def lists_fingerprint(warehouse: Warehouse) -> str:
    """The lists in force as "CODE:version …": a new version of any list changes it."""
    rows = warehouse.rows(
        "SELECT list_code, max(version) FROM screening_list_versions GROUP BY 1 ORDER BY 1"
    )
    return " ".join(f"{code}:{version}" for code, version in rows)


def last_fingerprint(warehouse: Warehouse, other_than: dt.date | None = None) -> str | None:
    """The lists every customer was last screened against (a full screening's fingerprint),
    leaving out a screened date's own (a re-run of that date decides as its first run did)."""
    value = warehouse.scalar(
        """SELECT lists FROM screening_runs
           WHERE trigger = 'rescreen' AND screened_on IS DISTINCT FROM ?
           ORDER BY finished_at DESC LIMIT 1""",
        [other_than],
    )
    return None if value is None else str(value)


_ID_KEY = "upper(regexp_replace({}, '[^0-9A-Za-z]', '', 'g'))"


@contextmanager
def _wanted(
    warehouse: Warehouse, names: Sequence[str], ids: Sequence[str], accounts: Sequence[str]
) -> Iterator[None]:
    """The names and keys looked for, as tables `_names`, `_ids`, `_accounts` (hash joins)."""
    tables = {"_names": names, "_ids": ids, "_accounts": accounts}
    for name, values in tables.items():
        warehouse._con.register(name, pa.table({"v": pa.array(list(values), pa.string())}))
    try:
        yield
    finally:
        for name in tables:
            warehouse._con.unregister(name)


def customer_names(warehouse: Warehouse, day: dt.date | None) -> list[tuple[str, str]]:
    """The distinct (name, party type) of customers, their legal representatives and their
    controllers: as `day`'s load sent them, or of every customer (None)."""
    source = (
        "customers" if day is None else "(SELECT * FROM customer_history WHERE business_date = ?)"
    )
    params = [] if day is None else [day]
    rows = warehouse.rows(
        f"""WITH c AS (SELECT name, customer_type, legal_rep_name, controller_name FROM {source})
            SELECT name, customer_type FROM c
            UNION SELECT legal_rep_name, 'individual' FROM c WHERE legal_rep_name IS NOT NULL
            UNION SELECT controller_name, 'individual' FROM c WHERE controller_name IS NOT NULL""",
        params,
    )
    return [(str(name), str(kind)) for name, kind in rows]


def customers_to_screen(
    warehouse: Warehouse,
    day: dt.date | None,
    names: Sequence[str],
    id_keys: Sequence[str],
    account_keys: Sequence[str],
) -> list[dict[str, Any]]:
    """The customers (as `day`'s load sent them, or every customer's current version) whose
    name, legal representative's or controller's name is one of `names`, or whose identity
    number (or theirs) or one of whose accounts is among the keys, with their accounts."""
    key = _ID_KEY.format
    source = (
        "customers" if day is None else "(SELECT * FROM customer_history WHERE business_date = ?)"
    )
    params = [] if day is None else [day]
    with _wanted(warehouse, names, id_keys, account_keys):
        return warehouse.records(
            f"""WITH c AS (SELECT * FROM {source}),
                wanted AS (
                    SELECT customer_id FROM c
                    WHERE name IN (SELECT v FROM _names)
                       OR legal_rep_name IN (SELECT v FROM _names)
                       OR controller_name IN (SELECT v FROM _names)
                       OR {key("id_number")} IN (SELECT v FROM _ids)
                       OR {key("legal_rep_id_number")} IN (SELECT v FROM _ids)
                       OR {key("controller_id_number")} IN (SELECT v FROM _ids)
                    UNION SELECT customer_id FROM accounts
                    WHERE {key("account_id")} IN (SELECT v FROM _accounts)
                      AND customer_id IN (SELECT customer_id FROM c))
                SELECT customer_id, name, customer_type, id_type, id_number, nationality,
                       legal_rep_name, legal_rep_id_number, controller_name, controller_id_number,
                       (SELECT list(account_id ORDER BY account_id) FROM accounts a
                        WHERE a.customer_id = c.customer_id) AS accounts
                FROM c WHERE customer_id IN (SELECT customer_id FROM wanted)
                ORDER BY customer_id""",
            params,
        )


def party_names_of_day(warehouse: Warehouse, day: dt.date) -> list[str]:
    """The distinct names of the day's counterparties and agents."""
    rows = warehouse.rows(
        """SELECT counterparty_name FROM transactions
           WHERE business_date = ? AND counterparty_name IS NOT NULL
           UNION SELECT agent_name FROM transactions WHERE business_date = ? AND agent_name IS NOT NULL""",
        [day, day],
    )
    return [str(r[0]) for r in rows]


def parties_of_day(
    warehouse: Warehouse,
    day: dt.date,
    names: Sequence[str],
    id_keys: Sequence[str],
    account_keys: Sequence[str],
) -> list[dict[str, Any]]:
    """The day's distinct counterparties and agents whose name is one of `names` or whose
    identity number or account is among the keys, each with its first transaction and that
    transaction's customer."""
    key = _ID_KEY.format
    with _wanted(warehouse, names, id_keys, account_keys):
        return warehouse.records(
            f"""SELECT 'counterparty' AS kind, counterparty_name AS name,
                      counterparty_account AS account, counterparty_id_number AS id_number,
                      counterparty_id_type AS id_type, NULL::VARCHAR AS nationality,
                      min(txn_id) AS txn_id, arg_min(customer_id, txn_id) AS customer_id
               FROM transactions WHERE business_date = ?
                 AND (counterparty_name IN (SELECT v FROM _names)
                      OR {key("counterparty_id_number")} IN (SELECT v FROM _ids)
                      OR {key("counterparty_account")} IN (SELECT v FROM _accounts))
               GROUP BY ALL
               UNION ALL
               SELECT 'agent', agent_name, NULL, agent_id_number, agent_id_type, agent_nationality,
                      min(txn_id), arg_min(customer_id, txn_id)
               FROM transactions WHERE business_date = ? AND agent_name IS NOT NULL
                 AND (agent_name IN (SELECT v FROM _names) OR {key("agent_id_number")} IN (SELECT v FROM _ids))
               GROUP BY ALL
               ORDER BY 1, 2, 3, 4""",
            [day, day],
        )


def replace_matches(
    warehouse: Warehouse,
    screened_on: dt.date,
    triggers: Sequence[str],
    matches: pa.Table,
    runs: Sequence[dict[str, Any]],
    now: dt.datetime,
) -> None:
    """In one transaction: the matches (and runs) of `screened_on` for `triggers` become these."""
    with warehouse.transaction():
        for table in ("screening_matches", "screening_runs"):
            warehouse.execute(
                f"DELETE FROM {table} WHERE screened_on = ? AND list_contains(?::VARCHAR[], trigger)",
                [screened_on, list(triggers)],
            )
        rows = matches.append_column(
            "found_at", pa.array([now] * matches.num_rows, pa.timestamp("us"))
        )
        warehouse._con.register("_match_rows", rows)
        try:
            warehouse.execute(
                """INSERT INTO screening_matches BY NAME
                   SELECT ?::DATE AS screened_on, trigger, * EXCLUDE (trigger) FROM _match_rows""",
                [screened_on],
            )
        finally:
            warehouse._con.unregister("_match_rows")
        for run in runs:
            warehouse.execute(
                "INSERT INTO screening_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [screened_on, run["trigger"], run["lists"], run["subjects"], run["matches"],
                 run["hits"], run["seconds"], now],
            )  # fmt: skip


def matches_of(
    warehouse: Warehouse, screened_on: dt.date | None = None, band: str | None = None
) -> list[dict[str, Any]]:
    """The matches of a screened date (or all), strongest first."""
    return warehouse.records(
        """SELECT * FROM screening_matches WHERE (? IS NULL OR screened_on = ?)
             AND (? IS NULL OR band = ?)
           ORDER BY screened_on DESC, score DESC, subject_kind, subject_ref, list_code, entry_ref""",
        [screened_on, screened_on, band, band],
    )


def entry_as_versioned(
    warehouse: Warehouse, list_code: str, version: int, ref: str
) -> ListEntry | None:
    """A list entry as a version of its list has it."""
    value = warehouse.scalar(
        "SELECT entry FROM screening_list_entries WHERE list_code = ? AND version = ? AND ref = ?",
        [list_code, version, ref],
    )
    return None if value is None else ListEntry.from_json(str(value))


def customer_facts(warehouse: Warehouse, customer_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Each customer's name and home branch (current version)."""
    if not customer_ids:
        return {}
    with _wanted(warehouse, customer_ids, (), ()):
        rows = warehouse.rows(
            """SELECT customer_id, name, coalesce(branch_code, '') FROM customers
               WHERE customer_id IN (SELECT v FROM _names)"""
        )
    return {str(c): (str(n), str(b)) for c, n, b in rows}
