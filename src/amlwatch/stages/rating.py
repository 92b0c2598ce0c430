"""The rating stage (客户洗钱风险等级): every customer rated each night on its data, its
behaviour over the model's window and its monitoring record, after the night's scans (it uses
their results).

The day's behaviour per customer is summed once into `rating_day_features`; the window's inputs
are read in one query; the model scores every customer at once (`amlwatch.rating`). The night's
scores replace the date's in `rating_scores`. Then the case store gets what needs it: new
customers at a level the system may confirm are rated, the rest of the new customers, changes
of the model's level, periodic reviews due and events open rating reviews; open reviews get the
night's rating.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amlwatch import wiring
from amlwatch.cases.rating_rows import EVENTS, TRIGGERS
from amlwatch.rating import (
    Category,
    RatingModel,
    Scores,
    first_rating_due,
    load_model,
    next_review_due,
    score_customers,
)
from amlwatch.rating.model import INPUTS
from amlwatch.warehouse import Warehouse
from amlwatch.warehouse import rating as wh

HISTORY_DAYS = 365  # the monitoring record looked at: alerts and cases of the last year
FACTS = ("cases", "reports", "list_hit", "list_review")  # from the case store


@dataclass(slots=True)
class Rated:
    """What one night's rating did."""

    model: str = ""
    customers: int = 0
    per_level: dict[str, int] = field(default_factory=dict)  # the model's levels: "10 高" → n
    confirmed: int = 0  # ratings the system confirmed
    opened: dict[str, int] = field(default_factory=dict)  # reviews opened per trigger (Chinese)
    refreshed: int = 0
    feature_days: int = 0  # business dates whose behaviour was summed tonight
    seconds: float = 0.0


def rate_night(day: dt.date, db: Path | None = None, rule_pack: str | None = None) -> Rated:
    """Rate every customer known on `day`; put to people what needs them."""
    began = time.monotonic()
    model = load_model(wiring.settings().rating_model)
    library = wiring.standards_library(db)
    pack = wiring.rule_pack_on(day, rule_pack, library)
    regions = sorted(pack.suspicious.high_risk_regions) if pack.suspicious else []
    with wiring.open_warehouse(db) as warehouse:
        built = _features(warehouse, day, model.window_days, regions)
        table = wh.customer_inputs(warehouse, day, model.window_days)
        changed = set(wh.identity_changed(warehouse, day))
    with wiring.open_review(db) as review:
        facts = review.rating_facts(day - dt.timedelta(days=HISTORY_DAYS - 1))
        in_force, open_reviews = review.rating_state()
        scores = score_customers(model, rating_inputs(table, facts))
        result = Rated(model=model.label, customers=table.num_rows, feature_days=built)
        result.per_level = {
            f"{lv.code} {lv.name}": int((scores.level == i).sum())
            for i, lv in enumerate(model.levels)
        }
        with wiring.open_warehouse(db) as warehouse:
            wh.replace_scores(warehouse, day, scores_table(model, table, scores), {
                "model": model.label, "digest": model.digest,
                "factor_codes": " ".join(f.code for f in model.factors), "customers": table.num_rows,
                "per_level": json.dumps(result.per_level, ensure_ascii=False),
                "seconds": time.monotonic() - began, "finished_at": dt.datetime.now(),
            })  # fmt: skip
        work = night_work(model, day, table, scores, in_force, open_reviews, changed, facts,
                          review.add_working_days)  # fmt: skip
        night = review.take_ratings(day, *work)
        levels, _ = review.rating_state()
    with wiring.open_warehouse(db) as warehouse:  # for the standards with per-level parameters
        wh.replace_levels(warehouse, pa.table({
            "customer_id": pa.array([c for c, *_ in levels], pa.string()),
            "level": pa.array([lv for _, lv, *_ in levels], pa.string()),
            "as_of": pa.array([day] * len(levels), pa.date32()),
        }))  # fmt: skip
    result.confirmed, result.refreshed = night.confirmed, night.refreshed
    result.opened = {TRIGGERS[k]: v for k, v in (night.opened or {}).items()}
    result.seconds = time.monotonic() - began
    return result


def _features(warehouse: Warehouse, day: dt.date, window_days: int, regions: Sequence[str]) -> int:
    """Tonight's date always; a loaded date of the window without its sums (a warehouse from
    before the rating, a backfill) once."""
    loaded = [
        d for d in warehouse.loaded_dates() if day - dt.timedelta(days=window_days - 1) <= d < day
    ]
    missing = sorted(set(loaded) - wh.has_day_features(warehouse, loaded))
    for date in [*missing, day]:
        wh.replace_day_features(warehouse, date, regions)
    return len(missing) + 1


def rating_inputs(table: pa.Table, facts: Mapping[str, Mapping[str, int]]) -> dict[str, Any]:
    """The model's inputs as arrays from the warehouse's rows and the case store's facts."""
    inputs: dict[str, Any] = {}
    for name, kind in INPUTS.items():
        if name in FACTS:
            continue
        column = table[name]
        if kind == "category":
            encoded = pc.dictionary_encode(column).combine_chunks()
            codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
            values = tuple(str(v) for v in encoded.dictionary.to_pylist())
            blank = [i for i, v in enumerate(values) if not v.strip()]
            if blank:  # an empty code is no code
                codes = np.where(np.isin(codes, blank), -1, codes).astype(np.int32)
            inputs[name] = Category(codes, values)
        elif kind == "flag":
            inputs[name] = (
                pc.fill_null(pc.cast(column, pa.int8()), -1)
                .to_numpy(zero_copy_only=False)
                .astype(np.int8)
            )
        else:
            inputs[name] = (
                pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
            )
    customers = list(facts)
    rows = pc.index_in(
        pa.array(customers, pa.string()), value_set=table["customer_id"].combine_chunks()
    )
    known = [
        (int(i), facts[c])
        for c, i in zip(customers, rows.to_pylist(), strict=True)
        if i is not None
    ]
    for name in FACTS:
        counts = np.zeros(table.num_rows, np.float64)
        for i, got in known:  # the customers with a monitoring record only
            counts[i] = got.get(name, 0)
        inputs[name] = (counts > 0).astype(np.int8) if INPUTS[name] == "flag" else counts
    return inputs


def scores_table(model: RatingModel, table: pa.Table, scores: Scores) -> pa.Table:
    codes = np.array([lv.code for lv in model.levels])
    n, width = scores.factors.shape
    factors = pa.FixedSizeListArray.from_arrays(pa.array(scores.factors.reshape(-1)), width)
    return pa.table({
        "customer_id": table["customer_id"], "model": pa.array([model.label] * n, pa.string()),
        "score": pa.array(scores.score), "score_level": pa.array(codes[scores.score_level]),
        "level": pa.array(codes[scores.level]), "rules": pa.array(scores.rules),
        "factors": factors.cast(pa.list_(pa.uint8())),
    })  # fmt: skip


def reasons(model: RatingModel, scores: Scores, i: int, top: int = 4) -> list[str]:
    """The hard rules that hold, then the factors that weigh most (weight × score), codes."""
    rules = [r.code for k, r in enumerate(model.hard_rules) if int(scores.rules[i]) >> k & 1]
    weigh = [(f.weight * int(scores.factors[i, k]), f.code) for k, f in enumerate(model.factors)]
    return rules + [code for w, code in sorted(weigh, key=lambda x: (-x[0], x[1]))[:top] if w > 0]


@dataclass(frozen=True, slots=True)
class InForce:
    """The levels in force on the night's rows: level index (-1: none), the model's level
    index when it was confirmed, the next review's day (ordinal), an open review."""

    level: np.ndarray
    computed: np.ndarray
    due: np.ndarray
    has_open: np.ndarray

    @classmethod
    def of(
        cls,
        model: RatingModel,
        at: Mapping[str, int],
        in_force: Sequence[tuple[str, str, str, dt.date]],
        open_reviews: Mapping[str, int],
    ) -> InForce:
        n = len(at)
        index = {lv.code: i for i, lv in enumerate(model.levels)}
        level, computed = np.full(n, -1, np.int8), np.full(n, -1, np.int8)
        due = np.full(n, np.iinfo(np.int64).max, np.int64)
        for customer, code, computed_code, next_on in in_force:
            i = at.get(customer)
            if i is not None and code in index:
                level[i], computed[i] = index[code], index.get(computed_code, -1)
                due[i] = next_on.toordinal()
        has_open = np.zeros(n, np.bool_)
        has_open[[at[c] for c in open_reviews if c in at]] = True
        return cls(level, computed, due, has_open)


def night_work(
    model: RatingModel,
    day: dt.date,
    table: pa.Table,
    scores: Scores,
    in_force: Sequence[tuple[str, str, str, dt.date]],
    open_reviews: Mapping[str, int],
    changed: set[str],
    facts: Mapping[str, Mapping[str, int]],
    add_working_days: Any,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Which customers the case store hears of tonight: (ratings the system confirms, reviews
    to open, open reviews to refresh). Chosen on arrays; rows are built for those only."""
    ids = table["customer_id"].to_pylist()
    at = {c: i for i, c in enumerate(ids)}
    now = InForce.of(model, at, in_force, open_reviews)
    by_system = np.array([lv.review_by == "system" for lv in model.levels])
    level = scores.level
    new = (now.level < 0) & ~now.has_open
    confirm_new = new & by_system[level]
    rated = (now.level >= 0) & ~now.has_open
    change = rated & (level != now.level) & (level != now.computed)
    periodic = rated & ~change & (now.due <= day.toordinal())
    reconfirm = periodic & by_system[np.maximum(now.level, 0)] & (level == now.level)
    event_of = {at[c]: "identity" for c in changed if c in at}
    for c, got in facts.items():  # a report or a confirmed hit the level in force does not show
        if c in at and (got.get("reports") or got.get("list_hit")):
            event_of.setdefault(at[c], "report" if got.get("reports") else "list_hit")
    event = np.zeros(len(ids), np.bool_)
    event[list(event_of)] = True
    event &= rated & ~change & ~periodic & (level < now.level)
    codes = [lv.code for lv in model.levels]
    score = scores.score.tolist()  # computed once, not per customer
    factor_codes = [f.code for f in model.factors]
    # tonight's confirmations all fall due on the same day per level
    next_due = [next_review_due(day, lv.review_months, add_working_days) for lv in model.levels]
    names, branches = table["name"].to_pylist(), table["branch_code"].to_pylist()
    first_known = table["first_known"].to_pylist()

    def about(i: int) -> dict[str, Any]:
        return {
            "customer_id": ids[i], "customer_name": names[i] or "", "branch_code": branches[i] or "",
            "computed_level": codes[level[i]], "score": score[i], "model": model.label,
            "factors": dict(zip(factor_codes, scores.factors[i].tolist(), strict=True)),
            "reasons": reasons(model, scores, i),
        }  # fmt: skip

    def opening(trigger: str, i: int) -> dict[str, Any]:
        soon = add_working_days(day, model.new_customer_working_days)
        if trigger == "new":
            arrived = first_known[i] or day
            due_on = first_rating_due(arrived, model.new_customer_working_days, add_working_days)
            detail = f"新客户（{arrived:%Y-%m-%d} 建立业务关系）"
        elif trigger == "periodic":
            due_on, detail = dt.date.fromordinal(int(now.due[i])), "定期复评到期"
        elif trigger == "change":
            due_on, detail = soon, f"模型评定 {codes[now.level[i]]} → {codes[level[i]]}"
        else:
            due_on, detail = soon, EVENTS[event_of[i]]
        current = codes[now.level[i]] if now.level[i] >= 0 else None
        return {**about(i), "trigger": trigger, "trigger_detail": detail, "opened_on": day,
                "due_on": due_on, "current_level": current}  # fmt: skip

    confirms = [
        {**about(i), "level": codes[level[i]], "rated_on": day, "review_id": None,
         "next_review_on": next_due[level[i]],
         "note": "定期复评：等级未变" if reconfirm[i] else "新客户：系统评定"}
        for i in map(int, np.flatnonzero(confirm_new | reconfirm))
    ]  # fmt: skip
    masks = {
        "new": new & ~confirm_new,
        "change": change,
        "periodic": periodic & ~reconfirm,
        "event": event,
    }
    reviews = [
        opening(trigger, int(i)) for trigger, mask in masks.items() for i in np.flatnonzero(mask)
    ]
    fresh = ("computed_level", "score", "factors", "reasons", "model")
    refreshes = [
        {"review_id": rid, **{k: v for k, v in about(at[c]).items() if k in fresh}}
        for c, rid in open_reviews.items() if c in at
    ]  # fmt: skip
    return confirms, reviews, refreshes
