"""The standards of every family end to end: loaded days, one scan, alerts with their
measure and a Chinese narrative; on trial they stay off the cases and the report, in force
they are the night's."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from amlwatch import wiring
from amlwatch.cli import app
from amlwatch.cli.standards import param_name
from amlwatch.models import Role
from amlwatch.rules import FAMILY_PARAMS, load_pack
from amlwatch.scanners import PatternInput
from amlwatch.stages.ingest import ingest_day
from amlwatch.stages.patterns import scan_pattern_days, scan_patterns_day, scan_patterns_range
from amlwatch.stages.standards import with_openings, without_kind
from amlwatch.warehouse import Warehouse, day_runs
from amlwatch.warehouse import patterns as wh_patterns
from amlwatch.warehouse.day_runs import exclusions_digest
from amlwatch.warehouse.standards import PastDays
from amlwatch.wiring import case_store, review_for
from tests.conftest import ACCOUNTS, FX, txn, write_day

DAYS = [dt.date(2026, 11, 16) + dt.timedelta(days=i) for i in range(5)]  # Monday to Friday
C2_ACCOUNT = "3100000000000000021"
PASSWORD = "Test-Pass-2026!"

# every family's planted shape for C1 (an individual), and look-alikes for C2 (an entity)
IN_FORCE = """extends = "pboc-2016"
[[suspicious.standards]]
code = "AMLW-SP-0201"
status = "in_force"
[suspicious.standards.params.common]
hours = 2
max_residual_share = "0.2"
min_quick_share = "0.6"
[[suspicious.standards]]
code = "AMLW-SP-0301"
status = "in_force"
[suspicious.standards.params.individual]
threshold_cny = "50000"
min_total_cny = "100000"
[[suspicious.standards]]
code = "AMLW-SP-0401"
status = "in_force"
[suspicious.standards.params.individual]
min_total_cny = "10000"
[[suspicious.standards]]
code = "AMLW-SP-0501"
status = "in_force"
[suspicious.standards.params.individual]
min_single_cny = "1000"
min_total_cny = "3000"
[[suspicious.standards]]
code = "AMLW-SP-0601"
status = "in_force"
[[suspicious.standards]]
code = "AMLW-SP-0701"
status = "in_force"
[[suspicious.standards]]
code = "AMLW-SP-0801"
status = "in_force"
[[suspicious.standards]]
code = "AMLW-SP-0901"
status = "in_force"
[[suspicious.standards]]
code = "AMLW-SP-1101"
status = "in_force"
[[suspicious.standards]]
code = "AMLW-SP-1201"
status = "in_force"
[suspicious.standards.params.individual]
day_floor_cny = "400000"
min_gap_days = 1
max_gap_days = 1
jitter_days = 0
min_cycles = 3
[[suspicious.standards]]
code = "AMLW-SP-1002"
status = "in_force"
window_business_days = 2
[suspicious.standards.params.individual]
min_known_days = 2
min_active_days = 2
multiple = "1.5"
"""


def day_rows(i: int, day: dt.date) -> list[dict[str, str]]:
    at = day.isoformat()
    rows = [
        # pass-through: in at 9, out at 10, every day
        txn(f"A{i}", booked_at=f"{at} 09:00:00", amount="200000", counterparty_account="P1"),
        txn(f"B{i}", booked_at=f"{at} 10:00:00", direction="out", amount="199000",
            counterparty_account="Q1"),
        # same party both ways, twice a day
        txn(f"F{i}", booked_at=f"{at} 12:00:00", amount="5000", counterparty_account="F1"),
        txn(f"G{i}", booked_at=f"{at} 13:00:00", direction="out", amount="5000",
            counterparty_account="F1"),
        # at night
        txn(f"N{i}", booked_at=f"{at} 23:30:00", amount="1000", counterparty_account="N1"),
        # the entity's payroll look-alike: one payer, one way, every day
        txn(f"E{i}", booked_at=f"{at} 11:00:00", customer_id="C2", account_id=C2_ACCOUNT,
            amount="300000", counterparty_account="EMP"),
    ]  # fmt: skip
    if i == 3:  # cash in late, out early the next morning: not quick
        rows.append(txn("K1", booked_at=f"{at} 16:00:00", amount="500000", is_cash="true"))
    if i == 4:
        rows.append(
            txn("K2", booked_at=f"{at} 08:00:00", direction="out", amount="500000", is_cash="true")
        )
    if i in (1, 2):  # the entity pays a counterparty in a high-risk region
        rows.append(
            txn(f"R{i}", booked_at=f"{at} 14:00:00", customer_id="C2", account_id=C2_ACCOUNT,
                direction="out", amount="300000", counterparty_account="IR1",
                counterparty_region="IRN000000", is_cross_border="true")
        )  # fmt: skip
    if i < 3:  # just under 50,000, on three days
        rows.append(
            txn(f"S{i}", booked_at=f"{at} 15:00:00", direction="out", amount="48000",
                counterparty_account=f"S{i}")
        )  # fmt: skip
    return rows


def day_accounts(i: int) -> list[dict[str, str]]:
    """C1's two accounts opened on the first two days and closed on the third and fourth
    (frequent opening and closing; new accounts too), as each day's accounts file has them."""
    rows = [dict(a) for a in ACCOUNTS]
    for k, (opened, closed) in enumerate(((0, 2), (1, 3))):
        rows[k]["opened_at"] = f"{DAYS[opened]} 08:30:00"
        if i >= closed:
            rows[k]["closed_at"] = f"{DAYS[closed]} 17:00:00"
    if i == 0:  # C2's account last moved money 200 days before (the core system's 上次动户日)
        for row in rows:
            row["last_moved_on"] = str(DAYS[0] - dt.timedelta(days=200)) if row is rows[2] else ""
    return [r for k, r in enumerate(rows) if k >= 2 or i >= (0, 1)[k]]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("standards")
    db = root / "wh.duckdb"
    for i, day in enumerate(DAYS):
        fx = [dict(r, rate_date=day.isoformat()) for r in FX]
        write_day(root / "inbox", day, day_rows(i, day), fx=fx, accounts=day_accounts(i))
        ingest_day(day, root / "inbox", db)
    return db


def alerts(db: Path) -> dict[str, dict]:
    with Warehouse.open(db, read_only=True) as wh:
        rows = wh.records("SELECT * FROM suspicious_alerts WHERE family <> 'scatter'")
    return {f"{a['rule_code']}/{a['customer_id']}": a for a in rows}


FOUND = {"AMLW-SP-0201/C1", "AMLW-SP-0301/C1", "AMLW-SP-0401/C1", "AMLW-SP-0501/C1",
         "AMLW-SP-0601/C1", "AMLW-SP-0701/C2", "AMLW-SP-0801/C1", "AMLW-SP-0901/C1",
         "AMLW-SP-1101/C2", "AMLW-SP-1201/C1", "AMLW-SP-1002/C1"}  # fmt: skip


def test_every_family_finds_its_plant_and_not_the_look_alike(loaded: Path, tmp_path: Path) -> None:
    pack = tmp_path / "in-force.toml"
    pack.write_text(IN_FORCE, encoding="utf-8")
    scan_patterns_day(DAYS[-1], loaded, str(pack))
    found = alerts(loaded)
    assert set(found) == FOUND
    quick = found["AMLW-SP-0201/C1"]
    assert (quick["measure_count"], quick["measure_days"]) == (10, 5)  # 199,000 and 5,000 a day
    assert quick["measure_total"] == 5 * 204_000
    near = found["AMLW-SP-0301/C1"]
    assert (near["measure_count"], near["measure_total"], near["measure_days"]) == (3, 144_000, 3)
    assert found["AMLW-SP-0401/C1"]["measure_count"] == 1  # F1; P1, Q1, N1 go one way
    assert found["AMLW-SP-0401/C1"]["measure_total"] == 50_000
    assert found["AMLW-SP-0501/C1"]["measure_count"] == 5
    cash = found["AMLW-SP-0601/C1"]
    assert (cash["measure_count"], cash["measure_total"], cash["measure_days"]) == (2, 10**6, 2)
    churn = found["AMLW-SP-0901/C1"]  # two opened, two closed, on four days
    assert (churn["measure_count"], churn["measure_days"]) == (4, 4)
    assert churn["measure_total"] == churn["in_total"] + churn["out_total"]
    assert "开户、销户" in churn["narrative"]
    woken = found["AMLW-SP-1101/C2"]  # asleep 200 days, then 300,000 a day in, two out
    assert (woken["measure_count"], woken["measure_total"], woken["measure_days"]) == (
        7,
        2_100_000,
        5,
    )
    assert "长期未动户" in woken["narrative"]
    # C1 moves 458,000 a day, then 910,000 with the cash: the third day completes a cycle
    cycle = found["AMLW-SP-1201/C1"]
    assert (cycle["measure_count"], cycle["measure_total"], cycle["measure_days"]) == (
        18,
        458_000 + 2 * 910_000,
        3,
    )
    assert "周期性" in cycle["narrative"]
    # C1's last two days (the cash) against its three before: 1,820,000 in two days, 1.99
    # times its 458,000 a day (C2: 300,000 a day after 500,000 a day is no more than usual)
    past = found["AMLW-SP-1002/C1"]
    assert (past["measure_count"], past["measure_total"], past["measure_days"]) == (
        12,
        1_820_000,
        2,
    )
    assert "以往" in past["narrative"]
    region = found["AMLW-SP-0701/C2"]
    assert (region["measure_count"], region["measure_total"]) == (2, 600_000)
    assert "高风险" in region["narrative"] and "现金" in cash["narrative"]
    for alert in (a for a in found.values() if a["customer_id"] == "C1"):
        assert alert["standard_status"] == "in_force" and alert["window_end"] == DAYS[-1]
        assert "C1" in alert["narrative"] and "【疑点分析】" in alert["narrative"]
        assert alert["rule_code"] in alert["narrative"]
        # evidence: the records a cash, region, night or structuring standard marks (one
        # window here: its measure), the window's rows for the other families
        # (the baseline standard's window is two days here, its measure every row of it)
        marked = alert["family"] in ("cash", "risk_region", "night", "structuring", "baseline")
        assert alert["evidence_count"] == (alert["measure_count"] if marked else 30)
    assert "化整为零" in near["narrative"] and "非营业时间" in found["AMLW-SP-0501/C1"]["narrative"]
    with Warehouse.open(loaded, read_only=True) as wh:
        night = {a["rule_code"] for a in wh_patterns.alerts_of_run(wh, [DAYS[-1]])}
        legs = wh.rows(
            "SELECT DISTINCT leg FROM suspicious_alert_transactions WHERE alert_id = ?",
            [quick["alert_id"]],
        )
    assert {c for c in night if not c.startswith("AMLW-SP-01")} == {k.split("/")[0] for k in FOUND}
    assert legs == [("window",)]


def test_a_customer_s_days_before_the_window_come_from_its_history_and_the_accounts_file(
    loaded: Path,
) -> None:
    """Before the first day only the accounts file knows (C2: 200 days before); later, the
    warehouse's own days as far back as asked, and for a customer known before them the day
    before them (it slept at least that long) — never a day of the read window itself."""
    epoch = dt.date(1970, 1, 1)
    filed = DAYS[0] - dt.timedelta(days=200)
    with Warehouse.open(loaded, read_only=True) as wh:
        for before, back, c1, c2 in (
            (DAYS[0], 180, [], [filed]),
            (DAYS[3], 180, DAYS[:3], [filed, *DAYS[:3]]),
            (DAYS[4], 2, DAYS[1:4], [filed, *DAYS[1:4]]),  # C1: the 17th stands for before
        ):
            table = wh_patterns.customer_types(wh, active_before=(before, back))
            days = dict(
                zip(table["customer_id"].to_pylist(), table["active_days"].to_pylist(), strict=True)
            )
            assert days["C1"] == [(d - epoch).days for d in c1], (before, back)
            assert days["C2"] == [(d - epoch).days for d in c2], (before, back)


@pytest.mark.parametrize("from_runs", [False, True], ids=["transactions", "day-runs"])
def test_a_customer_s_past_days_before_the_window_are_its_day_totals_by_kind(
    loaded: Path, tmp_path: Path, from_runs: bool
) -> None:
    """The days before the read window whose records reach the floor, in parts by the kind
    of record: a periodic standard's own exclusion is a bit of it, and its parts are left
    out of the day's total before its kernel runs. The same whether the dates' day runs are
    cut under the pack (read from them) or not (read from `transactions`)."""
    pack = tmp_path / "own.toml"
    pack.write_text(
        'extends = "pboc-2016"\n[[suspicious.standards]]\ncode = "AMLW-SP-1201"\n'
        '[suspicious.standards.exclude]\ncounterparty_accounts = ["P1"]\n',
        encoding="utf-8",
    )
    rule = load_pack(pack).suspicious
    bit = dict((s.code, b) for s, b in rule.own_exclusions())["AMLW-SP-1201"]
    day = [(d - dt.date(1970, 1, 1)).days for d in DAYS]
    db = loaded
    if from_runs:  # the dates' runs cut under this pack's exclusions (the night would)
        db = tmp_path / "runs.duckdb"
        shutil.copy(loaded, db)
        with Warehouse.open(db) as wh:
            day_runs.ready_window(wh, DAYS[0], DAYS[-1], rule)
            assert day_runs.window_dates(wh, DAYS[0], DAYS[-1], rule).missing == []
    with Warehouse.open(db, read_only=True) as wh:
        assert bool(day_runs.window_dates(wh, DAYS[0], DAYS[-1], rule).stored) == from_runs
        table = wh_patterns.customer_types(
            wh, past_before=PastDays(DAYS[3], 2, Decimal(400_000), rule, known=True)
        )
    got = {
        c: list(zip(d, t, k, strict=True))
        for c, d, t, k in zip(*(table[n].to_pylist() for n in (
            "customer_id", "past_days", "past_totals", "past_kinds")), strict=True)
    }  # fmt: skip
    # C1: 200,000 from P1 (its own bit) and 258,000 else, on the 17th and 18th (two days
    # back, never the read window's own); C2's 300,000 a day is under the floor, and on the
    # 17th with 300,000 more to a listed region (cross-border, region: kind 6) it is not
    assert got["C1"] == [(d, t, k) for d in day[1:3]
                         for t, k in ((258_000_000, 0), (200_000_000, bit))]  # fmt: skip
    assert table["known_since"].to_pylist() == [day[0]] * table.num_rows  # the first file
    assert got["C2"] == [(day[1], 300_000_000, 0), (day[1], 300_000_000, 6),
                         (day[2], 300_000_000, 0), (day[2], 300_000_000, 6)]  # fmt: skip
    data = PatternInput(*(np.zeros(1, t) for t in (np.int64, np.int64, np.bool_, np.int64,
                          np.int64, np.bool_)), 0)  # fmt: skip
    data = with_openings(data, np.array([0]), table.filter(pc.equal(table["customer_id"], "C1")))
    mine = without_kind(data, bit)
    assert mine.past_ptr is not None and mine.past_amount is not None
    assert (list(mine.past_ptr), list(mine.past_amount)) == ([0, 2], [258_000_000] * 2)


def test_every_standard_shows_each_parameter_by_its_chinese_name_and_code(loaded: Path) -> None:
    runner = CliRunner()
    for standard in load_pack("pboc-2016").suspicious.standards:
        shown = runner.invoke(app, ["standards", "show", standard.code, "--db", str(loaded)])
        assert shown.exit_code == 0, shown.output
        for name, _ in FAMILY_PARAMS.get(standard.family, ()):
            assert f"{param_name(standard.family, name)} {name}" in shown.output, (
                standard.code,
                name,
            )
    shown = runner.invoke(app, ["standards", "show", "AMLW-SP-1201", "--db", str(loaded)])
    assert "大额日收付合计下限 day_floor_cny" in shown.output and "200,000.00 元" in shown.output
    assert "不适用 n/a" in shown.output  # not for entities
    shown = runner.invoke(app, ["standards", "show", "AMLW-SP-1002", "--db", str(loaded)])
    assert "相对以往日均收付的倍数 multiple" in shown.output  # not out-of-profile's declared figure
    assert "申报收入" not in shown.output


def test_on_trial_they_run_but_open_no_case_and_stay_off_the_report(
    loaded: Path, tmp_path: Path
) -> None:
    pack = tmp_path / "on-trial.toml"
    pack.write_text(IN_FORCE.replace('"in_force"', '"trial"'), encoding="utf-8")
    scan_patterns_range(DAYS, loaded, str(pack))
    found = alerts(loaded)
    assert set(found) == FOUND
    assert {a["standard_status"] for a in found.values()} == {"trial"}
    with Warehouse.open(loaded, read_only=True) as wh:
        assert all(a["family"] in (None, "scatter") for a in wh_patterns.alerts_of_run(wh, DAYS))
        tuning = wh_patterns.alerts_of_run(wh, DAYS, trial=True)
    assert {f"{a['rule_code']}/{a['customer_id']}" for a in tuning} == FOUND


def test_a_draft_or_a_standard_not_yet_effective_does_not_run(loaded: Path, tmp_path: Path) -> None:
    pack = tmp_path / "later.toml"
    text = IN_FORCE.replace('status = "in_force"', 'status = "draft"', 1)
    later = text.replace(
        'code = "AMLW-SP-0301"\n', 'code = "AMLW-SP-0301"\neffective_from = 2026-11-21\n'
    )
    pack.write_text(later, encoding="utf-8")
    scan_patterns_day(DAYS[-1], loaded, str(pack))
    with Warehouse.open(loaded, read_only=True) as wh:
        hits = wh.rows(
            """SELECT rule_code || '/' || customer_id FROM suspicious_hits
               WHERE scan_date = ? AND family <> 'scatter'""",
            [DAYS[-1]],
        )
    assert {h for (h,) in hits} == FOUND - {"AMLW-SP-0201/C1", "AMLW-SP-0301/C1"}


def test_a_proposal_carries_its_replay_and_once_approved_the_night_runs_it(
    loaded: Path, tmp_path: Path
) -> None:
    db = tmp_path / "wh.duckdb"
    shutil.copy(loaded, db)
    review = review_for(case_store(db))
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    review.create_user(admin, "liaison1", "李联络", Role.LIAISON, PASSWORD, ["B001"])
    review.create_user(admin, "approver1", "王审批", Role.APPROVER, PASSWORD, [])
    review.store.close()
    runner = CliRunner()
    proposed = runner.invoke(
        app,
        ["standards", "propose", "AMLW-SP-0401", "--as", "liaison1", "--status", "in_force",
         "--set", "individual.min_total_cny=10000", "--reason", "试运行期间命中均经分析，建议降低金额下限后生效。",
         "--replay-from", "2026-11-16", "--replay-to", "2026-11-20", "--db", str(db)],
    )  # fmt: skip
    assert proposed.exit_code == 0, proposed.output
    assert "待审批" in proposed.output and "AMLW-SP-0401" in proposed.output
    assert "+1" in proposed.output  # C1 gained under the lower minimum
    own = runner.invoke(app, ["standards", "approve", "1", "--as", "liaison1", "--db", str(db)])
    assert own.exit_code != 0  # a liaison never puts a standard in force
    approved = runner.invoke(
        app, ["standards", "approve", "1", "--as", "approver1", "--db", str(db)]
    )
    assert approved.exit_code == 0 and "已生效" in approved.output, approved.output
    decided = runner.invoke(
        app, ["standards", "proposals", "--all", "--as", "approver1", "--db", str(db)]
    )
    assert "已生效" in decided.output and "min_total_cny" in decided.output, decided.output
    [version] = wiring.standards_library(db)
    assert version.effective_from > DAYS[-1]  # never back in time: the past nights keep theirs
    back = dataclasses.replace(version, effective_from=DAYS[0])  # as if approved before
    settings = wiring.settings()
    with Warehouse.open(db) as wh:
        scan_pattern_days(wh, [DAYS[-1]], wiring.calendar(settings), None, settings.scan, [back])
    found = alerts(db)["AMLW-SP-0401/C1"]
    assert found["standard_status"] == "in_force" and "+lib." in found["rule_pack"]


def test_a_standard_s_own_exclusions_keep_its_records_out_of_its_scan_and_evidence(
    loaded: Path, tmp_path: Path
) -> None:
    db = tmp_path / "wh.duckdb"
    shutil.copy(loaded, db)
    pack = tmp_path / "own-exclusions.toml"
    pack.write_text(
        IN_FORCE
        + """[[suspicious.standards]]
code = "AMLW-SP-0401"
[suspicious.standards.exclude]
counterparty_accounts = ["F1"]
[[suspicious.standards]]
code = "AMLW-SP-0501"
[suspicious.standards.exclude]
counterparty_accounts = ["Q1"]
purposes = ["it's quoted"]
""",
        encoding="utf-8",
    )
    scan_patterns_day(DAYS[-1], db, str(pack))
    found = alerts(db)
    # F1 was the only counterparty both ways: without it, no same-party alert
    assert set(found) == FOUND - {"AMLW-SP-0401/C1"}
    with Warehouse.open(db, read_only=True) as wh:
        evidence = {
            code: {t for (t,) in wh.rows(
                "SELECT txn_id FROM suspicious_alert_transactions WHERE alert_id = ?",
                [found[f"{code}/C1"]["alert_id"]])}
            for code in ("AMLW-SP-0501", "AMLW-SP-0201")
        }  # fmt: skip
    # the night standard no longer looks at the payments to Q1; the pass-through one does
    assert not {f"B{i}" for i in range(5)} & evidence["AMLW-SP-0501"]
    assert {f"N{i}" for i in range(5)} <= evidence["AMLW-SP-0501"]
    assert {f"B{i}" for i in range(5)} <= evidence["AMLW-SP-0201"]
    # runs cut under the bundled pack are not this pack's: its standards' bits are in the digest
    own = load_pack(str(pack)).suspicious
    assert own is not None
    assert exclusions_digest(own) != exclusions_digest(load_pack("pboc-2016").suspicious)
