"""The rating stage over a generated bank (real DuckDB file, real case store): every customer
rated the first night, a re-run replaces the night exactly and puts nothing to people twice,
the window's sums equal a direct read of the transactions, a change of the model's level opens
a review, and a confirmed report sets the highest level."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import insert

from amlwatch import wiring
from amlwatch.cases.tables import cases
from amlwatch.models import Role
from amlwatch.rating import load_model
from amlwatch.stages.ingest import ingest_day
from amlwatch.stages.rating import rate_night
from amlwatch.synth import generate_bank
from amlwatch.warehouse import rating as wh

pytestmark = [pytest.mark.integration, pytest.mark.slow]
START = dt.date(2026, 10, 12)
PASSWORD = "Test-Pass-2026!"


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("rating")
    generate_bank(root / "bank", customers=400, days=3, start=START, seed=37)
    db = root / "wh.duckdb"
    for k in range(3):
        ingest_day(START + dt.timedelta(days=k), root / "bank" / "inbox", db)
    with wiring.open_review(db) as review:
        admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
        review.create_user(admin, "approver1", "审批人", Role.APPROVER, PASSWORD, [])
    return root, db


def _scores(db: Path) -> list[tuple]:
    with wiring.open_warehouse(db) as warehouse:
        return warehouse.rows(
            "SELECT scored_on, customer_id, score, level, rules, factors FROM rating_scores ORDER BY ALL"
        )


def test_every_customer_rated_and_a_rerun_replaces_the_night(bank):
    _, db = bank
    day = START + dt.timedelta(days=2)
    first = rate_night(day, db)
    assert first.customers == 400 and sum(first.per_level.values()) == 400
    assert first.feature_days == 3  # the two loaded dates of the window before it, once
    with wiring.open_review(db) as review:
        in_force, open_reviews = review.rating_state()
    assert len(in_force) + len(open_reviews) == 400, "every customer has a level or a review"
    assert first.confirmed == len(in_force)
    before = _scores(db)
    again = rate_night(day, db)
    assert _scores(db) == before, "a re-run replaces the night's scores exactly"
    assert again.confirmed == 0 and again.opened == {} and again.feature_days == 1
    with wiring.open_review(db) as review:
        assert review.rating_state()[0] == in_force


def test_the_window_sums_equal_the_transactions_read_directly(bank):
    _, db = bank
    day = START + dt.timedelta(days=2)
    rate_night(day, db)
    model = load_model()
    with wiring.open_warehouse(db) as warehouse:
        got = {
            r["customer_id"]: r
            for r in wh.customer_inputs(warehouse, day, model.window_days).to_pylist()
        }
        direct = warehouse.records(
            """SELECT customer_id, count(*)::DOUBLE AS n, sum(amount_cny)::DOUBLE AS total,
                      sum(amount_cny) FILTER (WHERE is_cash)::DOUBLE / sum(amount_cny)::DOUBLE AS cash,
                      sum(amount_cny) FILTER (WHERE is_cross_border)::DOUBLE / sum(amount_cny)::DOUBLE AS xb
               FROM transactions GROUP BY 1"""
        )
    assert direct
    for row in direct:
        mine = got[row["customer_id"]]
        assert mine["txn_count"] == row["n"]
        assert mine["total_cny"] == pytest.approx(row["total"])
        assert (mine["cash_share"] or 0) == pytest.approx(row["cash"] or 0)
        assert (mine["cross_border_share"] or 0) == pytest.approx(row["xb"] or 0)


def test_a_change_of_the_models_level_opens_a_review_and_a_report_sets_the_highest(bank):
    _, db = bank
    day = START + dt.timedelta(days=2)
    rate_night(day, db)
    with wiring.open_review(db) as review:
        in_force, open_reviews = review.rating_state()
        customer = next(c for c, level, _, _ in in_force if level == "14" and c not in open_reviews)
        # the person confirmed 高 where the model said 高 then: tonight's 低 is a change
        review.take_ratings(day, [{"customer_id": customer, "customer_name": "x", "branch_code": "B001",
            "computed_level": "10", "score": 50.0, "model": "m", "factors": {}, "reasons": [],
            "level": "10", "rated_on": day, "review_id": None, "next_review_on": day + dt.timedelta(days=180),
            "note": "test"}], [], [])  # fmt: skip
    night = rate_night(day, db)
    assert night.opened == {"模型评定等级变化": 1}
    with wiring.open_review(db) as review:
        approver = review.list_importer("approver1")
        opened = [r for r in review.rating_queue(approver) if r.customer_id == customer]
    assert opened and opened[0].trigger == "change" and opened[0].computed_level == "14"
    assert opened[0].current_level == "10"

    # a reported case: the hard rule sets 高 whatever the score
    with wiring.open_warehouse(db) as warehouse:
        other = next(
            r["customer_id"]
            for r in wh.latest_scores(warehouse)
            if r["level"] == "14" and r["customer_id"] != customer
        )
    with wiring.open_review(db) as review, review.store.write() as con:
        con.execute(insert(cases).values(**_reported_case(other, day)))
    rate_night(day, db)
    with wiring.open_warehouse(db) as warehouse:
        row = wh.latest_scores(warehouse, [other])[0]
    assert row["level"] == "10" and row["rules"] & 2, "X02: a filed report"
    with wiring.open_review(db) as review:
        approver = review.list_importer("approver1")
        assert any(
            r.customer_id == other and r.trigger == "change" for r in review.rating_queue(approver)
        )


def _reported_case(customer: str, day: dt.date) -> dict:
    """A case whose report was filed (as the review leaves one), for the hard rule."""
    now = dt.datetime(2026, 10, 14, 9)
    return {"alert_id": f"A-{customer}", "rule_code": "S001", "rule_name": "分散转入集中转出",
            "customer_id": customer, "customer_name": "x", "branch_code": "B001", "window_start": day,
            "window_end": day, "first_scan_date": day, "last_scan_date": day, "score": 1.0,
            "in_total": "0", "out_total": "0", "evidence_count": 1, "state": "submitted",
            "snapshot_version": 1, "snoozed": False, "level": 0, "stcb": "", "aosp": "",
            "crime_types": [], "urgency": "01", "report_times": 1, "direction": "01",
            "created_at": now, "updated_at": now, "kind": "customer"}  # fmt: skip


@pytest.mark.parametrize("subject", ["customer", "account"])
def test_a_high_risk_customers_lower_threshold_alerts_where_a_low_risk_ones_does_not(
    tmp_path: Path, subject: str
) -> None:
    """AMLW-SP-0601 (individual cash ≥ 1,000,000 in 10 business days) asks 500,000 of a
    customer at 高 (by_risk_level."10"): 750,000 in cash is an alert only once C1's level in
    force is 高, and no longer when a review brings it back to 低."""
    from amlwatch.stages.patterns import scan_patterns_day
    from tests.conftest import FX, txn, write_day

    days = [dt.date(2026, 11, 16) + dt.timedelta(days=i) for i in range(5)]  # Monday to Friday
    db = tmp_path / "wh.duckdb"
    for i, day in enumerate(days):
        cash = txn(f"K{i}", booked_at=f"{day} 10:00:00", amount="150000", is_cash="true")
        write_day(
            tmp_path / "inbox", day, [cash], fx=[dict(r, rate_date=day.isoformat()) for r in FX]
        )
        ingest_day(day, tmp_path / "inbox", db)

    pack = None
    if subject == "account":  # the account's customer's level
        pack = tmp_path / "by-account.toml"
        pack.write_text(
            'extends = "pboc-2016"\n[suspicious]\nsubject = "account"\n', encoding="utf-8"
        )

    def cash_alerts() -> list[str]:
        scan_patterns_day(days[-1], db, str(pack) if pack else None)
        with wiring.open_warehouse(db) as warehouse:
            rows = warehouse.rows(
                "SELECT customer_id FROM suspicious_hits WHERE rule_code = 'AMLW-SP-0601' AND scan_date = ?",
                [days[-1]],
            )
        return [str(r[0]) for r in rows]

    def rated(level: str) -> None:
        with wiring.open_review(db) as review:
            review.take_ratings(days[-1], [{"customer_id": "C1", "customer_name": "x", "branch_code": "B001",
                "computed_level": level, "score": 50.0, "model": "m", "factors": {}, "reasons": [],
                "level": level, "rated_on": days[-1], "review_id": None,
                "next_review_on": days[-1] + dt.timedelta(days=180), "note": "test"}], [], [])  # fmt: skip
        rate_night(days[-1], db)  # the level in force reaches the warehouse with the night's rating

    assert cash_alerts() == []  # unrated: the standard's own 1,000,000
    rated("14")
    assert cash_alerts() == []
    rated("10")
    assert cash_alerts() == ["C1"], "高: 750,000 reaches the level's 500,000"
    rated("14")
    assert cash_alerts() == []
