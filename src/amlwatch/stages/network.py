"""The network stage: the network standards of the rule pack (`chain`, `cycle`,
`scatter_gather`, `gather_scatter`) over the bank's own transfer graph of each standard's
window, their structures stored with their members' roles and their transfers.

A structure is money relayed through several customers (`scanners.network`); its id is its
standard's code and a digest of its transfers, so the same transfers found night after night
keep one id. A scan replaces the scanned days' structures in one transaction (a re-run gives
the same rows; a crash leaves the previous ones). Standards on trial and in force both run:
a trial standard's structures go to the tuning list (`amlwatch network list`, `/network`), an
in-force standard's become group cases (团伙, `stages.cases`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from amlwatch import wiring
from amlwatch.models import NetworkSummary
from amlwatch.rules import NETWORK_FAMILIES, BusinessCalendar, PatternStandard, RulePack
from amlwatch.rules.library import LibraryVersion
from amlwatch.scanners.network import (
    Hop,
    TransferGraph,
    find_structures,
    roles,
    with_member_evidence,
)
from amlwatch.scanners.network.score import NEW_DAYS
from amlwatch.stages.patterns import packs_by_day
from amlwatch.warehouse import Warehouse
from amlwatch.warehouse.network import (
    WindowGraph,
    member_facts,
    replace_network_hits,
    window_graph,
)
from amlwatch.warehouse.tables import NETWORK_HIT_EDGES, NETWORK_HIT_MEMBERS, NETWORK_HITS


def structure_id(code: str, txn_ids: Sequence[str]) -> str:
    """A structure's stable id: its standard and a digest of its transfers (no identifiers)."""
    digest = hashlib.sha256("|".join(sorted(txn_ids)).encode()).hexdigest()[:12]
    return f"{code}-{digest}"


def network_standards(pack: RulePack, day: dt.date) -> list[PatternStandard]:
    """The pack's network standards that run for the window ending on `day`."""
    rule = pack.suspicious
    if rule is None:
        return []
    return [s for s in rule.standards if s.family in NETWORK_FAMILIES and s.runs_on(day)]


def scan_network_days(
    warehouse: Warehouse,
    ends: Sequence[dt.date],
    calendar: BusinessCalendar,
    rule_pack: str | None = None,
    library: Sequence[LibraryVersion] = (),
) -> NetworkSummary:
    """Scan the network standards' windows ending on each of `ends` and replace those days'
    structures."""
    started = time.monotonic()
    summary = NetworkSummary(scan_dates=sorted(ends))
    rows: dict[str, list[dict[str, Any]]] = {"hits": [], "members": [], "edges": []}
    for pack, days in packs_by_day(ends, rule_pack, library).values():
        found = network_rows(warehouse, pack, days, calendar, summary)
        for key in rows:
            rows[key] += found[key]
    replace_network_hits(
        warehouse,
        sorted(ends),
        NETWORK_HITS.from_pylist(rows["hits"]),
        NETWORK_HIT_MEMBERS.from_pylist(rows["members"]),
        NETWORK_HIT_EDGES.from_pylist(rows["edges"]),
    )
    summary.customers = len({str(m["customer_id"]) for m in rows["members"]})
    summary.duration_s = time.monotonic() - started
    return summary


def network_rows(
    warehouse: Warehouse,
    pack: RulePack,
    days: Sequence[dt.date],
    calendar: BusinessCalendar,
    summary: NetworkSummary | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The structures of the pack's network standards in the windows ending on `days`, as
    rows of the three tables (nothing stored: a replay reads them too); `summary` counts the
    edges read and the structures per standard."""
    rows: dict[str, list[dict[str, Any]]] = {"hits": [], "members": [], "edges": []}
    for day in days:
        # the standards of one window share its read, and the fans of one hop its relays
        windows: dict[dt.date, Window] = {}
        for standard in network_standards(pack, day):
            assert pack.suspicious is not None
            first = calendar.window_start(day, pack.suspicious.window_of(standard))
            if first not in windows:
                windows[first] = Window.read(warehouse, first, day)
                if summary is not None:
                    summary.edges_scanned += len(windows[first].coded.src)
            found = _structures(warehouse, windows[first], standard, pack, day, first)
            for key in rows:
                rows[key] += found[key]
            if summary is not None:
                counts = summary.structures_by_code
                counts[standard.code] = counts.get(standard.code, 0) + len(found["hits"])
    return rows


@dataclass(slots=True)
class Window:
    """A window's graph as read (`coded`), as the kernels take it, and the relays its fans
    found by hop."""

    coded: WindowGraph
    graph: TransferGraph
    relays: dict[Hop, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def read(cls, warehouse: Warehouse, first: dt.date, last: dt.date) -> Window:
        g = window_graph(warehouse, first, last)
        return cls(g, TransferGraph(g.src, g.dst, g.ts, g.amount, g.owner))


_EDGE_COLUMNS = ("business_date", "line", "txn_id", "booked_at", "payer_customer",
                 "payer_account", "payee_customer", "payee_account", "amount_cny", "device")  # fmt: skip


def _structures(
    warehouse: Warehouse,
    window: Window,
    standard: PatternStandard,
    pack: RulePack,
    day: dt.date,
    first: dt.date,
) -> dict[str, list[dict[str, Any]]]:
    """One standard's structures in one window as rows of the three tables, each scored with
    what its members' own data says (`scanners.network.score.with_member_evidence`) before
    the standard's least score is applied."""
    params = next(iter(standard.params.values()))  # common to both customer types
    found = find_structures(
        standard.family, params | {"min_score": Decimal(0)}, window.graph, window.relays
    )
    # only the found structures' edges leave Arrow (a window holds millions)
    picked = np.unique(found.edges)
    rows = window.coded.edges.select(list(_EDGE_COLUMNS)).take(pa.array(picked)).to_pylist()
    edge = {int(e): row for e, row in zip(picked.tolist(), rows, strict=True)}
    paths = [
        [int(e) for e in found.edges[found.ptr[c] : found.ptr[c + 1]]] for c in range(len(found))
    ]
    pairs = [
        [(str(edge[e]["payer_customer"]), str(edge[e]["payee_customer"])) for e in p] for p in paths
    ]
    members = [roles(standard.family, p) for p in pairs]
    accounts = [
        sorted({edge[e][k] for e in p for k in ("payer_account", "payee_account")}) for p in paths
    ]
    people, opened = member_facts(
        warehouse,
        sorted({m for ms in members for m in ms}),
        sorted({a for acc in accounts for a in acc}),
    )
    devices = [
        {c: {edge[e]["device"] for e in p if edge[e]["payer_customer"] == c and edge[e]["device"]}
         for c in ms}
        for ms, p in zip(members, paths, strict=True)
    ]  # fmt: skip
    shared = [_sharing(list(ms), people, d) for ms, d in zip(members, devices, strict=True)]
    new = [
        sum(1 for a in acc if _new(opened.get(a), edge[p[0]]["booked_at"].date()))
        for acc, p in zip(accounts, paths, strict=True)
    ]
    score = with_member_evidence(
        found.score, np.array([len(ms) for ms in members]), np.array(shared),
        np.array([len(acc) for acc in accounts]), np.array(new),
    )  # fmt: skip
    now = dt.datetime.now()
    out: dict[str, list[dict[str, Any]]] = {"hits": [], "members": [], "edges": []}
    for c in np.flatnonzero(score >= float(params["min_score"])):
        path, roled = paths[c], members[c]
        sid = structure_id(standard.code, [str(edge[e]["txn_id"]) for e in path])
        received = dict.fromkeys(roled, Decimal(0))
        sent = dict.fromkeys(roled, Decimal(0))
        key = {"scan_date": day, "rule_code": standard.code, "structure_id": sid}
        for step, e in enumerate(path):
            sent[pairs[c][step][0]] += edge[e]["amount_cny"]
            received[pairs[c][step][1]] += edge[e]["amount_cny"]
            out["edges"].append(key | {"step": step} | edge[e])
        out["members"] += [
            key | {"customer_id": m, "role": role, "received_cny": received[m], "sent_cny": sent[m]}
            for m, role in roled.items()
        ]
        out["hits"].append(
            key
            | {
                "shape": standard.family,
                "window_start": first,
                "window_end": day,
                "score": round(float(score[c]), 2),
                "edge_count": len(path),
                "member_count": len(roled),
                "shared_members": shared[c],
                "account_count": len(accounts[c]),
                "new_accounts": new[c],
                "first_amount": edge[path[0]]["amount_cny"],
                "last_amount": edge[path[-1]]["amount_cny"],
                "first_at": edge[path[0]]["booked_at"],
                "last_at": edge[path[-1]]["booked_at"],
                "rule_pack": pack.label,
                "standard_status": standard.status,
                "scanned_at": now,
                "rule_name": standard.name,
            }
        )
    return out


def _sharing(
    members: list[str],
    people: dict[str, tuple[str | None, str | None]],
    devices: dict[str, set[str]],
) -> int:
    """How many of the members share a phone or an address with another of them, or paid
    within the structure from a device another of them paid from."""
    count = 0
    for m in members:
        mine = people.get(m, (None, None))
        count += any(
            any(a is not None and a == b
                for a, b in zip(mine, people.get(other, (None, None)), strict=True))
            or bool(devices.get(m, set()) & devices.get(other, set()))
            for other in members
            if other != m
        )  # fmt: skip
    return count


def _new(opened: dt.date | None, first: dt.date) -> bool:
    """Whether an account opened at most NEW_DAYS days before a structure's first transfer."""
    return opened is not None and first - dt.timedelta(days=NEW_DAYS) <= opened <= first


def scan_network_day(
    run_date: dt.date, db: Path | None = None, rule_pack: str | None = None
) -> NetworkSummary:
    """Scan the network standards' windows ending on the run date and store what they find."""
    settings = wiring.settings()
    library = wiring.standards_library(db, settings) if rule_pack is None else []
    with wiring.open_warehouse(db, settings) as warehouse:
        return scan_network_days(
            warehouse, [run_date], wiring.calendar(settings), rule_pack, library
        )
