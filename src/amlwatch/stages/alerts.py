"""Alerts from hits: hits of one standard and subject whose windows overlap form one alert.

A pattern that continues night after night extends its alert (same id, wider window, the
latest window's metrics, all the evidence) instead of opening a new one. Alerts are rebuilt
from the stored hits of the subjects a scan touches, so re-running a night gives the same
alerts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amlwatch.rules import RulePack, SuspiciousRule
from amlwatch.scanners.patterns import KIND_CASH, KIND_RISK_REGION
from amlwatch.scanners.prune import PF_FROM, PF_HI, PF_KIND, PF_LO, PF_PARTY, PF_TO
from amlwatch.scanners.standards import FAMILIES
from amlwatch.stages.narrative import family_narrative, narrative
from amlwatch.warehouse import Warehouse
from amlwatch.warehouse import patterns as wh_patterns
from amlwatch.warehouse.tables import SUSPICIOUS_ALERT_TRANSACTIONS, SUSPICIOUS_ALERTS


def alert_id(rule_code: str, first_scan: dt.date, customer_id: str, account_id: str | None) -> str:
    """Stable id: standard, the night it opened, and a digest of the subject (no identifiers)."""
    digest = hashlib.sha256(f"{customer_id}|{account_id or ''}".encode()).hexdigest()[:8]
    return f"{rule_code}-{first_scan:%Y%m%d}-{digest}"


def store_alerts(
    warehouse: Warehouse, days: list[dt.date], hits: pa.Table, pack: RulePack, rule: SuspiciousRule
) -> tuple[dict[str, int], dict[str, int]]:
    """Replace the days' hits and rebuild the affected subjects' alerts; counts of alerts
    opened / extended by these nights, per standard."""
    subjects = wh_patterns.affected_subjects(warehouse, days, hits)
    stored = wh_patterns.hits_of(warehouse, subjects).to_pylist()
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
            "rule_code": pa.array([a["rule_code"] for a in alerts], pa.string()),
            "customer_id": pa.array([a["customer_id"] for a in alerts], pa.string()),
            "account_id": pa.array([a["account_id"] for a in alerts], pa.string()),
            "window_start": pa.array([a["window_start"] for a in alerts], pa.date32()),
            "window_end": pa.array([a["window_end"] for a in alerts], pa.date32()),
        }
    )
    detail = wh_patterns.evidence_rows(warehouse, alert_table, rule)
    detail = detail.filter(marked_rows(detail, alerts, rule))
    evidence = detail.select(
        ["alert_id", "txn_id", "direction", "amount_cny", "party", "counterparty_name"]
    ).to_pylist()
    by_alert: dict[str, list[dict[str, Any]]] = {}
    for row in evidence:
        by_alert.setdefault(row["alert_id"], []).append(row)
    standards = {s.code: s for s in rule.standards}
    for alert in alerts:
        rows = by_alert.get(alert["alert_id"], [])
        standard = standards[alert["rule_code"]]
        side = standard.scattered
        for row in rows:
            if standard.family != "scatter":
                row["leg"] = "window"
            else:
                row["leg"] = "scattered" if row["direction"] == side else "concentrated"
        alert["rule_name"] = standard.name
        alert["evidence_count"] = len(rows)
        alert["top_in"] = json.dumps(_top(rows, "in", rule.top_counterparties), ensure_ascii=False)
        alert["top_out"] = json.dumps(
            _top(rows, "out", rule.top_counterparties), ensure_ascii=False
        )
        if standard.family == "scatter":
            alert["narrative"] = narrative(alert, side)
        else:
            alert["narrative"] = family_narrative(alert, standard.name)
    wh_patterns.replace_patterns(
        warehouse,
        days,
        hits,
        subjects,
        SUSPICIOUS_ALERTS.from_pylist(alerts),
        SUSPICIOUS_ALERT_TRANSACTIONS.from_pylist([r for rows in by_alert.values() for r in rows]),
        detail.drop_columns(["party"]),
    )
    return opened, extended


# the families whose marked records are exactly the records their pruning filter passes (a
# kind of record, a time of day, an amount band): their evidence is those records
MARKED_EVIDENCE = frozenset({"cash", "risk_region", "night", "structuring"})


def marked_rows(detail: pa.Table, alerts: list[dict[str, Any]], rule: SuspiciousRule) -> pa.Array:
    """Per evidence row: whether it is evidence of its alert — a row its standard marks for
    the families of `MARKED_EVIDENCE` (the cash records of a cash standard, not the whole
    window's), every row of the window for the others. `scanners.prune`'s filter, as the
    kernels mark a record, over the columns at once."""
    standards = {s.code: s for s in rule.standards}
    tables: dict[str, np.ndarray] = {}
    for alert in alerts:
        standard = standards[alert["rule_code"]]
        if standard.family in MARKED_EVIDENCE:
            family = FAMILIES[standard.family]
            assert family.prefilter is not None
            rows = family.prefilter(family.params(standard.params))
            tables[alert["alert_id"]] = rows[1 if alert["customer_type"] == "entity" else 0]
    if not tables:
        return pa.array(np.ones(detail.num_rows, np.bool_))
    which = pc.index_in(detail["alert_id"], value_set=pa.array(list(tables), pa.string()))
    filtered = pc.is_valid(which).to_numpy(zero_copy_only=False)
    f = np.stack(list(tables.values()))[pc.fill_null(which, 0).to_numpy(zero_copy_only=False)]
    region = pc.fill_null(pc.utf8_slice_codeunits(detail["counterparty_region"], 0, 3), "")
    kind = np.where(_flags(detail["is_cash"]), KIND_CASH, 0) | np.where(
        _flags(pc.is_in(region, value_set=pa.array(sorted(rule.high_risk_regions), pa.string()))),
        KIND_RISK_REGION,
        0,
    )
    thousand = pa.scalar(Decimal(1000), pa.decimal128(4, 0))
    milli = _numbers(pc.cast(pc.multiply(detail["amount_cny"], thousand), pa.int64()))
    micros = _numbers(pc.cast(detail["booked_at"].cast(pa.timestamp("us")), pa.int64()))
    second = micros // 1_000_000 % 86_400
    start, stop = f[:, PF_FROM], f[:, PF_TO]
    inside = np.where(
        start <= stop, (start <= second) & (second < stop), (second >= start) | (second < stop)
    )
    marked = (
        (kind & f[:, PF_KIND] == f[:, PF_KIND])
        & (f[:, PF_LO] <= milli)
        & (milli < f[:, PF_HI])
        & (_flags(pc.is_valid(detail["party"])) | (f[:, PF_PARTY] == 0))
        & inside
    )
    return pa.array(~filtered | marked, pa.bool_())


def _flags(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), np.bool_)


def _numbers(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(values.to_numpy(zero_copy_only=False), np.int64)


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
    standard = next((s for s in rule.standards if s.code == hit["rule_code"]), None)
    if standard is not None:
        alert["window_business_days"] = rule.window_of(standard)
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
    for name in ("family", "standard_status", "measure_count", "measure_total", "measure_days"):
        alert[name] = hit.get(name)
    w_in, w_out = hit["in_total"], hit["out_total"]
    alert["through_flow"] = (w_out / w_in).quantize(Decimal("0.0001")) if w_in else None
    alert["follow_share"] = (
        (hit["out_after_first_in"] / w_out).quantize(Decimal("0.0001")) if w_out else None
    )
    if hit.get("family") not in (None, "scatter"):  # the measure, not the legs
        alert["follow_share"] = None
        alert["score"] = float(hit["measure_count"] or 0)
        return
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
