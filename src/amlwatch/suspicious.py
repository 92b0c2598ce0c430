"""The scatter / concentrate stage: window rows → kernel → hits → alerts with evidence.

A hit is one standard matched by one subject's window ending on one scanned day. Hits of one
standard and subject whose windows overlap form one alert: a pattern that continues night
after night extends its alert (same id, wider window, the latest window's metrics, all the
evidence) instead of opening a new one. Alerts are rebuilt from the stored hits of the
subjects a scan touches, so re-running a night gives the same alerts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amlwatch.models import PatternSummary
from amlwatch.rules import BusinessCalendar, RulePack, SuspiciousRule, load_pack, pack_for
from amlwatch.scanners import (
    FLAG_SCATTER_IN,
    FLAG_SCATTER_OUT,
    PatternInput,
    PatternParams,
    PatternWindows,
    scan_patterns,
    sorted_input,
)
from amlwatch.scanners.encode import dense_codes
from amlwatch.scanners.runs import DayRuns, MergedWindow, RunPiece, merge_runs
from amlwatch.warehouse import WHOLE, Bucket, Warehouse
from amlwatch.warehouse import patterns as store

EPOCH = dt.date(1970, 1, 1)
MILLI = Decimal("0.001")
FLAGS = {"in": FLAG_SCATTER_IN, "out": FLAG_SCATTER_OUT}


def decimal_milli(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """int64 thousandths of a DECIMAL(p, 3) column, read from Arrow's 128-bit words in place.

    Raises:
        ValueError: another scale, nulls, or a value beyond int64.
    """
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not pa.types.is_decimal128(array.type) or array.type.scale != 3:
        raise ValueError(f"expected decimal128(p, 3), got {array.type}")
    if array.null_count:
        raise ValueError("amounts must not be null")
    words = np.frombuffer(array.buffers()[1], dtype=np.int64)
    words = words[2 * array.offset : 2 * (array.offset + len(array))]
    low, high = words[0::2], words[1::2]
    if not np.array_equal(high, low >> 63):
        raise ValueError("an amount is beyond the int64 range of thousandths")
    return np.ascontiguousarray(low)


@dataclass(frozen=True, slots=True)
class PreparedWindow:
    """The scanner's input, and the row id of each sorted row (to name subjects of hits)."""

    data: PatternInput
    rid: np.ndarray


def _u64(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table[name].to_numpy(), dtype=np.uint64)


def customer_codes(table: pa.Table, types: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Each row's customer as a dense code, and whether that customer is an entity.

    `table` and `types` carry the customer's 128-bit hash key (`customer_id_1/_2`); the
    customer table's keys are numbered first, in the same numbering, so that the codes index
    its `entity` flags.
    """
    codes, _ = dense_codes(
        np.concatenate([_u64(types, "customer_id_1"), _u64(table, "customer_id_1")]),
        np.concatenate([_u64(types, "customer_id_2"), _u64(table, "customer_id_2")]),
    )
    known = types.num_rows
    entity_of = np.zeros(int(codes.max()) + 1 if len(codes) else 0, np.bool_)
    entity_of[codes[:known]] = np.asarray(
        pc.fill_null(types["entity"], False).to_numpy(zero_copy_only=False), np.bool_
    )
    customer = codes[known:]
    return customer, entity_of[customer]


def prepare(table: pa.Table, types: pa.Table, subject: str) -> PreparedWindow:
    """Dense codes from the hash keys, the kernel's arrays, sorted by `pattern_order`."""
    n = table.num_rows
    customer, entity = customer_codes(table, types)
    if subject == "account":
        subject_code, _ = dense_codes(_u64(table, "account_id_1"), _u64(table, "account_id_2"))
    else:
        subject_code = customer
    has_party = np.asarray(table["has_party"].to_numpy(zero_copy_only=False), np.bool_)
    party, n_parties = dense_codes(_u64(table, "party_1"), _u64(table, "party_2"), has_party)
    ts = np.asarray(table["booked_at"].cast(pa.int64()).to_numpy(), np.int64) // 1_000_000
    out = np.asarray(table["out"].to_numpy(zero_copy_only=False), np.bool_)
    amount = decimal_milli(table["amount_cny"]) if n else np.empty(0, np.int64)
    rid = np.asarray(table["rid"].to_numpy(), np.int64)
    data, order = sorted_input(subject_code, ts, out, amount, party, entity, n_parties)
    return PreparedWindow(data, rid[order])


def window_days(
    calendar: BusinessCalendar, ends: Sequence[dt.date], rule: SuspiciousRule
) -> tuple[np.ndarray, np.ndarray]:
    """(end days, start days) as int32 days since 1970-01-01."""
    starts = [calendar.window_start(e, rule.window_business_days) for e in ends]
    return (
        np.array([(e - EPOCH).days for e in ends], np.int32),
        np.array([(s - EPOCH).days for s in starts], np.int32),
    )


def hits_table(
    found: PatternWindows,
    entity: np.ndarray,
    names: Sequence[tuple[str, str | None]],
    ends: Sequence[dt.date],
    starts: Sequence[dt.date],
    pack: RulePack,
    rule: SuspiciousRule,
) -> pa.Table:
    """One row per (window, standard) matched, in the `suspicious_hits` layout; `entity` and
    `names` (customer id, account id) are the subject's of each found window."""
    records: dict[str, list[Any]] = {name: [] for name, _ in HIT_SCHEMA}
    now = dt.datetime.now()
    for i in range(len(found)):
        customer_id, account = names[i]
        account_id = account if rule.subject == "account" else None
        for standard in rule.standards:
            if not found.flags[i] & FLAGS[standard.scattered]:
                continue
            e = int(found.end[i])
            values = {
                "scan_date": ends[e],
                "rule_code": standard.code,
                "customer_id": customer_id,
                "account_id": account_id,
                "customer_type": "entity" if entity[i] else "individual",
                "window_start": starts[e],
                "window_end": ends[e],
                "in_total": int(found.in_total[i]) * MILLI,
                "in_count": int(found.in_count[i]),
                "in_parties": int(found.in_parties[i]),
                "out_total": int(found.out_total[i]) * MILLI,
                "out_count": int(found.out_count[i]),
                "out_parties": int(found.out_parties[i]),
                "out_after_first_in": int(found.out_after_first_in[i]) * MILLI,
                "rule_pack": pack.label,
                "scanned_at": now,
            }
            for name, value in values.items():
                records[name].append(value)
    return pa.table({name: pa.array(records[name], type) for name, type in HIT_SCHEMA})


HIT_SCHEMA: list[tuple[str, pa.DataType]] = [
    ("scan_date", pa.date32()),
    ("rule_code", pa.string()),
    ("customer_id", pa.string()),
    ("account_id", pa.string()),
    ("customer_type", pa.string()),
    ("window_start", pa.date32()),
    ("window_end", pa.date32()),
    ("in_total", pa.decimal128(20, 3)),
    ("in_count", pa.int64()),
    ("in_parties", pa.int64()),
    ("out_total", pa.decimal128(20, 3)),
    ("out_count", pa.int64()),
    ("out_parties", pa.int64()),
    ("out_after_first_in", pa.decimal128(20, 3)),
    ("rule_pack", pa.string()),
    ("scanned_at", pa.timestamp("us")),
]


@dataclass(slots=True)
class PatternPart:
    """What one bucket's scan found: hits per rule pack label (empty tables included, so that
    storing replaces those days' hits), the rows it read and its seconds."""

    hits: dict[str, pa.Table] = field(default_factory=dict)
    transactions_scanned: int = 0
    duration_s: float = 0.0


def packs_by_day(
    ends: Sequence[dt.date], rule_pack: str | None
) -> dict[str, tuple[RulePack, list[dt.date]]]:
    """The scanned days grouped by the pack in force on each (or the one forced)."""
    by_pack: dict[str, tuple[RulePack, list[dt.date]]] = {}
    for day in sorted(ends):
        pack = load_pack(rule_pack) if rule_pack else pack_for(day)
        by_pack.setdefault(pack.label, (pack, []))[1].append(day)
    return by_pack


def scan_pattern_part(
    warehouse: Warehouse,
    ends: Sequence[dt.date],
    calendar: BusinessCalendar,
    rule_pack: str | None = None,
    bucket: Bucket = WHOLE,
) -> PatternPart:
    """The hits of the windows ending on each of `ends` for one bucket's customers (read only)."""
    started = time.monotonic()
    part = PatternPart()
    types = store.customer_types(warehouse, bucket)
    for label, (pack, days) in packs_by_day(ends, rule_pack).items():
        if pack.suspicious is not None:
            hits, scanned = scan_hits(
                warehouse, days, calendar, pack, pack.suspicious, types, bucket
            )
            part.hits[label] = hits
            part.transactions_scanned += scanned
    part.duration_s = time.monotonic() - started
    return part


def store_pattern_parts(
    warehouse: Warehouse,
    ends: Sequence[dt.date],
    rule_pack: str | None,
    parts: Sequence[PatternPart],
) -> PatternSummary:
    """Replace the days' hits with the parts' (every bucket of one split) and rebuild alerts."""
    started = time.monotonic()
    summary = PatternSummary(scan_dates=sorted(ends))
    summary.transactions_scanned = sum(p.transactions_scanned for p in parts)
    for label, (pack, days) in packs_by_day(ends, rule_pack).items():
        rule = pack.suspicious
        if rule is None:
            summary.skipped.extend(days)
            continue
        tables = [p.hits[label] for p in parts if label in p.hits]
        hits = pa.concat_tables(tables) if tables else _empty_hits()
        summary.rule_packs.append(label)
        opened, extended = _store(warehouse, days, hits, pack, rule)
        for code, n in opened.items():
            summary.alerts_opened[code] = summary.alerts_opened.get(code, 0) + n
        for code, n in extended.items():
            summary.alerts_extended[code] = summary.alerts_extended.get(code, 0) + n
        for code in hits["rule_code"].to_pylist():
            summary.hits_by_code[code] = summary.hits_by_code.get(code, 0) + 1
    summary.duration_s = time.monotonic() - started + sum(p.duration_s for p in parts)
    return summary


def scan_pattern_days(
    warehouse: Warehouse,
    ends: Sequence[dt.date],
    calendar: BusinessCalendar,
    rule_pack: str | None = None,
) -> PatternSummary:
    """Scan the windows ending on each of `ends` and replace those days' hits and alerts."""
    part = scan_pattern_part(warehouse, ends, calendar, rule_pack)
    return store_pattern_parts(warehouse, ends, rule_pack, [part])


def _empty_hits() -> pa.Table:
    return pa.table({name: pa.array([], type) for name, type in HIT_SCHEMA})


# the customer scan merges at most about this many rows at once (a few hundred MB of arrays):
# a larger window is scanned in slices of customers, whose memory the next slice reuses
SLICE_ROWS = 12_000_000
# slices merged side by side: the merge and the kernel are one thread each, so two slices
# keep two cores busy; more would only add memory on the machines this runs on
SLICE_THREADS = 2


def scan_hits(
    warehouse: Warehouse,
    days: Sequence[dt.date],
    calendar: BusinessCalendar,
    pack: RulePack,
    rule: SuspiciousRule,
    types: pa.Table | None = None,
    bucket: Bucket = WHOLE,
) -> tuple[pa.Table, int]:
    """The hits of the windows ending on `days` under one pack (of the bucket's customers),
    without storing anything; with the number of transactions read."""
    days = sorted(days)
    end_days, start_days = window_days(calendar, days, rule)
    starts = [EPOCH + dt.timedelta(days=int(s)) for s in start_days]
    types = store.customer_types(warehouse, bucket) if types is None else types
    params = PatternParams.from_rule(rule)
    if rule.subject == "customer":  # merged from the day runs, a slice of customers at a time
        dates = store.window_dates(warehouse, min(starts), max(days), rule)
        window = sum(dates.rows.values()) // bucket.count
        pieces = bucket.split(max(1, -(-window // SLICE_ROWS)))

        def scan_slice(piece: Bucket) -> tuple[pa.Table, int]:
            with warehouse.cursor() as reader:  # a connection per thread
                runs = store.window_runs(reader, dates, min(starts), max(days), rule, piece)
            merged = merge_window(runs, types)
            rows = len(merged.data.subject)
            found = scan_patterns(merged.data, end_days, start_days, params)
            entity = merged.data.entity[found.lo]
            known = merged.customer_row[found.subject]
            del merged
            if np.any(known < 0):
                raise ValueError("a customer with transactions is missing from customer_history")
            taken = pc.take(types["customer_id"], pa.array(known)).to_pylist()
            names = [(c, None) for c in taken]
            return hits_table(found, entity, names, days, starts, pack, rule), rows

        if len(pieces) == 1:
            results = [scan_slice(pieces[0])]
        else:  # in slice order whatever finishes first: the same hits for any thread count
            # (runs are read in stored order: set once for all threads, it is the database's)
            with (
                warehouse.in_insertion_order(),
                ThreadPoolExecutor(min(SLICE_THREADS, len(pieces))) as pool,
            ):
                results = list(pool.map(scan_slice, pieces))
        return pa.concat_tables([t for t, _ in results]), sum(n for _, n in results)

    # per account: the window sorted here
    table = store.pattern_window_rows(warehouse, min(starts), max(days), rule, bucket)
    prepared = prepare(table, types, rule.subject)
    rows = table.num_rows
    del table  # the arrays are in `prepared` now
    found = scan_patterns(prepared.data, end_days, start_days, params)
    entity = prepared.data.entity[found.lo]
    rids = [int(r) for r in prepared.rid[found.lo]]
    by_rid = store.subject_ids(warehouse, rids)
    names = [by_rid[r] for r in rids]
    return hits_table(found, entity, names, days, starts, pack, rule), rows


def merge_window(parts: list[pa.Table], types: pa.Table) -> MergedWindow:
    """The kernel's input from day runs (`warehouse.patterns.window_runs`: one table per run,
    in run order). The runs are read in place, batch by batch; `parts` is emptied after."""
    runs = DayRuns(
        tuple(
            tuple(
                RunPiece(
                    key_1=_values(batch, "customer_1"),
                    key_2=_values(batch, "customer_2"),
                    ts=_values(batch, "ts"),
                    out=np.asarray(batch["out"].to_numpy(zero_copy_only=False), np.bool_),
                    amount=_values(batch, "amount"),
                    party=_values(batch, "party"),
                )
                for batch in part.to_batches()
            )
            for part in parts
        )
    )
    merged = merge_runs(
        runs,
        _u64(types, "customer_id_1"),
        _u64(types, "customer_id_2"),
        np.asarray(pc.fill_null(types["entity"], False).to_numpy(zero_copy_only=False), np.bool_),
    )
    parts.clear()
    return merged


def _values(batch: pa.RecordBatch, name: str) -> np.ndarray:
    """A column without nulls as the numpy view of its Arrow buffer."""
    return batch[name].to_numpy(zero_copy_only=True)


@dataclass(slots=True)
class ReplayCounts:
    """One standard under the baseline and the candidate pack."""

    baseline_hits: int = 0
    candidate_hits: int = 0
    baseline_subjects: set[tuple[str, str | None]] = field(default_factory=set)
    candidate_subjects: set[tuple[str, str | None]] = field(default_factory=set)

    @property
    def added(self) -> set[tuple[str, str | None]]:
        return self.candidate_subjects - self.baseline_subjects

    @property
    def removed(self) -> set[tuple[str, str | None]]:
        return self.baseline_subjects - self.candidate_subjects


@dataclass(slots=True)
class ReplayResult:
    """What a date range gives under two packs (nothing is stored)."""

    scan_dates: list[dt.date]
    customers: int
    baseline: str
    candidate: str
    by_standard: dict[str, ReplayCounts]

    def per_10k_per_day(self, subjects: int) -> float:
        """Flagged subjects per 10,000 customers per scanned day."""
        if not self.customers or not self.scan_dates:
            return 0.0
        return subjects * 10_000 / self.customers / len(self.scan_dates)


def replay(
    warehouse: Warehouse,
    ends: Sequence[dt.date],
    calendar: BusinessCalendar,
    baseline: RulePack,
    candidate: RulePack,
) -> ReplayResult:
    """Scan the windows ending on each of `ends` under both packs and compare (read only)."""
    types = store.customer_types(warehouse)
    result = ReplayResult(
        scan_dates=sorted(ends),
        customers=types.num_rows,
        baseline=baseline.label,
        candidate=candidate.label,
        by_standard={},
    )
    for pack, side in ((baseline, "baseline"), (candidate, "candidate")):
        if pack.suspicious is None:
            continue
        hits, _ = scan_hits(warehouse, ends, calendar, pack, pack.suspicious, types)
        for hit in hits.select(["rule_code", "customer_id", "account_id"]).to_pylist():
            counts = result.by_standard.setdefault(hit["rule_code"], ReplayCounts())
            subject = (hit["customer_id"], hit["account_id"])
            if side == "baseline":
                counts.baseline_hits += 1
                counts.baseline_subjects.add(subject)
            else:
                counts.candidate_hits += 1
                counts.candidate_subjects.add(subject)
    return result


def alert_id(rule_code: str, first_scan: dt.date, customer_id: str, account_id: str | None) -> str:
    """Stable id: standard, the night it opened, and a digest of the subject (no identifiers)."""
    digest = hashlib.sha256(f"{customer_id}|{account_id or ''}".encode()).hexdigest()[:8]
    return f"{rule_code}-{first_scan:%Y%m%d}-{digest}"


def _store(
    warehouse: Warehouse, days: list[dt.date], hits: pa.Table, pack: RulePack, rule: SuspiciousRule
) -> tuple[dict[str, int], dict[str, int]]:
    """Replace the days' hits and rebuild the affected subjects' alerts; counts of alerts
    opened / extended by these nights, per standard."""
    subjects = store.affected_subjects(warehouse, days, hits)
    stored = store.hits_of(warehouse, subjects).to_pylist()
    scanned = set(days)
    merged = [h for h in stored if h["scan_date"] not in scanned] + hits.to_pylist()
    merged.sort(
        key=lambda h: (h["rule_code"], h["customer_id"], h["account_id"] or "", h["scan_date"])
    )
    alerts: list[dict[str, Any]] = []
    opened: dict[str, int] = {}
    extended: dict[str, int] = {}
    current: dict[str, Any] | None = None
    for hit in merged:
        same_subject = current is not None and (
            current["rule_code"],
            current["customer_id"],
            current["account_id"],
        ) == (hit["rule_code"], hit["customer_id"], hit["account_id"])
        if current is not None and same_subject and hit["window_start"] <= current["window_end"]:
            _extend(current, hit)
        else:
            current = _open(hit, rule)
            alerts.append(current)
    for alert in alerts:
        if alert["last_scan_date"] in scanned:
            tally = opened if alert["nights"] == 1 else extended
            tally[alert["rule_code"]] = tally.get(alert["rule_code"], 0) + 1
    alert_table = pa.table(
        {
            "alert_id": pa.array([a["alert_id"] for a in alerts], pa.string()),
            "customer_id": pa.array([a["customer_id"] for a in alerts], pa.string()),
            "account_id": pa.array([a["account_id"] for a in alerts], pa.string()),
            "window_start": pa.array([a["window_start"] for a in alerts], pa.date32()),
            "window_end": pa.array([a["window_end"] for a in alerts], pa.date32()),
        }
    )
    detail = store.evidence_rows(warehouse, alert_table, rule)
    evidence = detail.select(
        ["alert_id", "txn_id", "direction", "amount_cny", "party", "counterparty_name"]
    ).to_pylist()
    by_alert: dict[str, list[dict[str, Any]]] = {}
    for row in evidence:
        by_alert.setdefault(row["alert_id"], []).append(row)
    scattered = {s.code: s.scattered for s in rule.standards}
    names = {s.code: s.name for s in rule.standards}
    for alert in alerts:
        rows = by_alert.get(alert["alert_id"], [])
        side = scattered[alert["rule_code"]]
        for row in rows:
            row["leg"] = "scattered" if row["direction"] == side else "concentrated"
        alert["rule_name"] = names[alert["rule_code"]]
        alert["evidence_count"] = len(rows)
        alert["top_in"] = json.dumps(_top(rows, "in", rule.top_counterparties), ensure_ascii=False)
        alert["top_out"] = json.dumps(
            _top(rows, "out", rule.top_counterparties), ensure_ascii=False
        )
        alert["narrative"] = narrative(alert, side)
    store.replace_patterns(
        warehouse,
        days,
        hits,
        subjects,
        _alerts_table(alerts),
        pa.Table.from_pylist(
            [
                {k: r[k] for k in ("alert_id", "txn_id", "direction", "leg")}
                for rows in by_alert.values()
                for r in rows
            ],
            schema=pa.schema(
                [(k, pa.string()) for k in ("alert_id", "txn_id", "direction", "leg")]
            ),
        ),
        detail.drop_columns(["party"]),
    )
    return opened, extended


def _open(hit: dict[str, Any], rule: SuspiciousRule) -> dict[str, Any]:
    alert = {
        "alert_id": alert_id(
            hit["rule_code"], hit["scan_date"], hit["customer_id"], hit["account_id"]
        ),
        "rule_code": hit["rule_code"],
        "customer_id": hit["customer_id"],
        "account_id": hit["account_id"],
        "customer_type": hit["customer_type"],
        "window_start": hit["window_start"],
        "window_end": hit["window_end"],
        "first_scan_date": hit["scan_date"],
        "last_scan_date": hit["scan_date"],
        "nights": 1,
        "status": "new",
        "window_business_days": rule.window_business_days,
    }
    _metrics(alert, hit)
    return alert


def _extend(alert: dict[str, Any], hit: dict[str, Any]) -> None:
    alert["window_start"] = min(alert["window_start"], hit["window_start"])
    alert["window_end"] = max(alert["window_end"], hit["window_end"])
    alert["last_scan_date"] = hit["scan_date"]
    alert["nights"] += 1
    alert["status"] = "extended"
    _metrics(alert, hit)


def _metrics(alert: dict[str, Any], hit: dict[str, Any]) -> None:
    for name in ("in_total", "in_count", "in_parties", "out_total", "out_count", "out_parties"):
        alert[name] = hit[name]
    alert["rule_pack"] = hit["rule_pack"]
    w_in, w_out = hit["in_total"], hit["out_total"]
    alert["through_flow"] = (w_out / w_in).quantize(Decimal("0.0001")) if w_in else None
    alert["follow_share"] = (
        (hit["out_after_first_in"] / w_out).quantize(Decimal("0.0001")) if w_out else None
    )
    scattered = max(hit["in_parties"], hit["out_parties"])
    balance = float(min(w_in, w_out) / max(w_in, w_out)) if w_in and w_out else 0.0
    alert["score"] = round(scattered * balance, 4)


def _top(rows: list[dict[str, Any]], direction: str, limit: int) -> list[dict[str, Any]]:
    """The biggest counterparties of one side: name, count and amount."""
    totals: dict[str, list[Any]] = {}
    for row in rows:
        if row["direction"] != direction or row["party"] is None:
            continue
        entry = totals.setdefault(row["party"], [row["counterparty_name"] or "", 0, Decimal(0)])
        entry[1] += 1
        entry[2] += row["amount_cny"]
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][2], kv[0]))[:limit]
    return [
        {"name": name, "party": party, "count": count, "amount_cny": str(amount)}
        for party, (name, count, amount) in ranked
    ]


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}元"


def narrative(alert: dict[str, Any], scattered: str) -> str:
    """A draft for the report's STCB / AOSP fields (资金交易及客户行为情况 / 疑点分析)."""
    subject = "账户" if alert["account_id"] else "客户"
    who = "对公客户" if alert["customer_type"] == "entity" else "个人客户"
    span = f"{alert['window_start']:%Y年%m月%d日}至{alert['window_end']:%Y年%m月%d日}"
    days = alert["window_business_days"]
    tops_in = ", ".join(t["name"] or "（名称未知）" for t in json.loads(alert["top_in"])[:3])
    tops_out = ", ".join(t["name"] or "（名称未知）" for t in json.loads(alert["top_out"])[:3])
    flow = alert["through_flow"]
    ratio = f"{flow * 100:.1f}%" if flow is not None else "—"
    if scattered == "in":
        movement = (
            f"自{alert['in_parties']}个不同交易对手分散转入资金{alert['in_count']}笔，"
            f"合计{_yuan(alert['in_total'])}（主要来源：{tops_in}）；"
            f"随后集中转出至{alert['out_parties']}个交易对手{alert['out_count']}笔，"
            f"合计{_yuan(alert['out_total'])}（主要去向：{tops_out}）"
        )
        point = "资金分散转入、集中转出"
    else:
        movement = (
            f"自{alert['in_parties']}个交易对手集中转入资金{alert['in_count']}笔，"
            f"合计{_yuan(alert['in_total'])}（主要来源：{tops_in}）；"
            f"随后分散转出至{alert['out_parties']}个不同交易对手{alert['out_count']}笔，"
            f"合计{_yuan(alert['out_total'])}（主要去向：{tops_out}）"
        )
        point = "资金集中转入、分散转出"
    follow = alert["follow_share"]
    after = f"{follow * 100:.0f}%" if follow is not None else "—"
    return (
        f"【资金交易及客户行为情况】该{who}（客户号{alert['customer_id']}）在{span}期间"
        f"（以{days}个工作日为监测窗口），{movement}。转出金额占转入金额的{ratio}，"
        f"其中{after}的转出发生在窗口内首笔转入之后，资金快进快出、过渡性特征明显。"
        f"【疑点分析】短期内{point}，交易对手数量与资金规模与{subject}的一般交易习惯不符，"
        f"疑似利用{subject}过渡资金，需结合客户身份、职业或经营范围及资金来源进一步核实。"
        f"（系统生成初稿，监测标准{alert['rule_code']}，规则包{alert['rule_pack']}，"
        f"连续{alert['nights']}个监测日命中）"
    )


def _alerts_table(alerts: list[dict[str, Any]]) -> pa.Table:
    columns = [name for name, _ in ALERT_SCHEMA]
    return pa.Table.from_pylist(
        [{k: a[k] for k in columns} for a in alerts], schema=pa.schema(ALERT_SCHEMA)
    )


ALERT_SCHEMA: list[tuple[str, pa.DataType]] = [
    ("alert_id", pa.string()),
    ("rule_code", pa.string()),
    ("rule_name", pa.string()),
    ("customer_id", pa.string()),
    ("account_id", pa.string()),
    ("customer_type", pa.string()),
    ("window_start", pa.date32()),
    ("window_end", pa.date32()),
    ("first_scan_date", pa.date32()),
    ("last_scan_date", pa.date32()),
    ("nights", pa.int64()),
    ("in_total", pa.decimal128(20, 3)),
    ("in_count", pa.int64()),
    ("in_parties", pa.int64()),
    ("out_total", pa.decimal128(20, 3)),
    ("out_count", pa.int64()),
    ("out_parties", pa.int64()),
    ("through_flow", pa.decimal128(12, 4)),
    ("follow_share", pa.decimal128(12, 4)),
    ("score", pa.float64()),
    ("top_in", pa.string()),
    ("top_out", pa.string()),
    ("narrative", pa.string()),
    ("evidence_count", pa.int64()),
    ("status", pa.string()),
    ("rule_pack", pa.string()),
]
