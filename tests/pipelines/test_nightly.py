"""The nightly flow in a real Prefect test harness."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from prefect.testing.utilities import prefect_test_harness

from amlwatch.cases.exceptions import CaseStoreLocked, CaseStoreUnavailable, NotFound
from amlwatch.ingest import FileRejected
from amlwatch.warehouse import Warehouse, WarehouseLocked
from pipelines.nightly import nightly, retry_only_transient
from tests.conftest import DAY, txn, write_day

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=180):
        yield


def test_nightly_ingests_the_run_date(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_day(inbox, DAY, [txn("T1"), txn("T2", currency="RMB")])
    db = tmp_path / "wh.duckdb"
    report = nightly(run_date=DAY, inbox=inbox, db=db).load
    assert (report.total_loaded, report.total_quarantined) == (9, 1)  # 2+3+3 master rows, 1 txn
    with Warehouse.open(db, read_only=True) as wh:
        assert wh.loaded_dates() == [DAY]
        assert wh.scalar("SELECT count(*) FROM transactions") == 1


def test_nightly_fails_loudly_on_a_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    with pytest.raises(Exception, match="no folder for business date 2026-11-20"):
        nightly(run_date=DAY, inbox=tmp_path / "inbox", db=tmp_path / "wh.duckdb")


def read_artifact(key: str) -> str:
    """The newest artifact's data, read over the API (Prefect 3.8.8's own client sends null
    filter fields that its server rejects with 422 under the pinned fastapi)."""
    import httpx
    from prefect.settings import PREFECT_API_URL

    response = httpx.post(
        f"{PREFECT_API_URL.value()}/artifacts/filter",
        json={"artifacts": {"key": {"any_": [key]}}, "limit": 1, "sort": "CREATED_DESC"},
        timeout=30,
    )
    response.raise_for_status()
    [artifact] = response.json()
    return str(artifact["data"])


def task_run_names() -> list[str]:
    """Names of the server's task runs, over the API (same client bug as above)."""
    import httpx
    from prefect.settings import PREFECT_API_URL

    response = httpx.post(
        f"{PREFECT_API_URL.value()}/task_runs/filter",
        json={"limit": 200, "sort": "EXPECTED_START_TIME_DESC"},
        timeout=30,
    )
    response.raise_for_status()
    return [str(run["name"]) for run in response.json()]


def test_nightly_writes_a_summary_artifact(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_day(inbox, DAY, [txn("T1")])
    nightly(run_date=DAY, inbox=inbox, db=tmp_path / "wh.duckdb")
    assert "transactions.csv | 1 | 1 | 0" in read_artifact(f"nightly-{DAY:%Y%m%d}")


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (WarehouseLocked("held"), True),
        (CaseStoreLocked("held"), True),
        (CaseStoreUnavailable("down"), True),
        (NotFound("no such case"), False),
        (FileRejected("t.csv", "broken"), False),
        (ValueError("x"), False),
    ],
)
def test_only_transient_errors_are_retried(error: Exception, retried: bool) -> None:
    state = SimpleNamespace(result=lambda raise_on_failure=True: error)
    assert retry_only_transient(None, None, state) is retried


def test_default_run_date_is_yesterday_in_shanghai() -> None:
    from amlwatch.wiring import previous_day_in_china

    utc_evening = dt.datetime(2026, 11, 20, 18, 30, tzinfo=dt.UTC)  # 02:30 on the 21st in Shanghai
    assert previous_day_in_china(utc_evening) == dt.date(2026, 11, 20)


def test_nightly_scans_for_large_value_transactions(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_day(
        inbox,
        DAY,
        [
            txn("T1", amount="30000", is_cash="true"),
            txn("T2", amount="20000", is_cash="true"),
            txn("T3"),
        ],
    )
    db = tmp_path / "wh.duckdb"
    report = nightly(run_date=DAY, inbox=inbox, db=db, reports_dir=tmp_path / "reports")
    assert report.large_value is not None and report.large_value.hits_by_code == {"0501": 2}
    # the regulator's file of the night: validated, numbered, recorded, packaged
    assert report.submission is not None and report.submission.new_records == 2
    [package] = (tmp_path / "reports" / str(DAY) / "submission").glob("NBH*.ZIP")
    assert package.name == report.submission.packages[0]
    with Warehouse.open(db, read_only=True) as wh:
        assert wh.rows(
            "SELECT txn_id, characteristic_code, day_total, cumulative FROM large_value_transactions ORDER BY 1"
        ) == [
            ("T1", "0501", Decimal("50000.000"), True),
            ("T2", "0501", Decimal("50000.000"), True),
        ]


def test_nightly_alerts_on_a_scatter_in_concentrate_out_day(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    receipts = [
        txn(
            f"R{i}",
            amount="25000",
            booked_at=f"2026-11-20 09:{i:02d}:00",
            counterparty_account=f"6217000000000000{i:03d}",
            counterparty_name=f"付款人{i}",
        )
        for i in range(12)
    ]
    payment = txn(
        "P1",
        direction="out",
        amount="290000",
        booked_at="2026-11-20 16:00:00",
        counterparty_account="6228000000000000999",
        counterparty_name="收款人",
    )
    write_day(inbox, DAY, [*receipts, payment])
    db, reports = tmp_path / "wh.duckdb", tmp_path / "reports"
    report = nightly(run_date=DAY, inbox=inbox, db=db, reports_dir=reports)
    assert report.patterns is not None
    assert report.patterns.alerts_opened == {"AMLW-SP-0101": 1}
    assert report.suspicious_report is not None and report.suspicious_report.alerts == 1
    assert report.suspicious_report.transactions == 13
    assert report.suspicious_report.workbook.is_file()
    with Warehouse.open(db, read_only=True) as wh:
        assert wh.rows("SELECT customer_id, in_parties, out_parties FROM suspicious_alerts") == [
            ("C1", 12, 1)
        ]


def run_log(db: Path) -> list[dict]:
    with Warehouse.open(db, read_only=True) as wh:
        return wh.records("SELECT * FROM run_log ORDER BY finished_at")


def test_every_run_is_recorded_in_the_run_log(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_day(inbox, DAY, [txn("T1", amount="60000", is_cash="true"), txn("T2")])
    db = tmp_path / "wh.duckdb"
    report = nightly(run_date=DAY, inbox=inbox, db=db)
    [run] = run_log(db)
    assert run["run_id"] == report.run_id and run["outcome"] == "succeeded"
    # every input row of the date: 2 transactions, 2 customers, 3 accounts, 3 FX rates
    assert (run["run_date"], run["rows_in"], run["rows_loaded"]) == (DAY, 10, 10)
    assert json.loads(run["hits_by_code"]) == {"0501": 1}
    assert json.loads(run["alerts_opened"]) == {}
    assert set(json.loads(run["stage_seconds"])) == {
        "ingest",
        "screening",
        "calendar",
        "large_value",
        "large_value_report",
        "patterns",
        "network",
        "suspicious_report",
        "cases",
        "rating",
        "submission",
    }
    assert run["peak_rss_mb"] > 0 and run["flow_run_id"] and run["rule_pack"] == "pboc-2016@2016.3"
    assert f"Run `{report.run_id}`" in read_artifact(f"nightly-{DAY:%Y%m%d}")


def test_a_failed_run_is_recorded_with_its_error(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    db = tmp_path / "wh.duckdb"
    with pytest.raises(Exception, match="no folder"):
        nightly(run_date=DAY, inbox=tmp_path / "inbox", db=db)
    [run] = run_log(db)
    assert run["outcome"] == "failed" and "no folder for business date 2026-11-20" in run["error"]
    assert run["rows_loaded"] is None and run["hits_by_code"] is None  # NULL, not JSON null
    # a night killed mid-way keeps the row its start wrote; `runs` reads both
    import datetime as _dt

    from typer.testing import CliRunner

    from amlwatch.cli import app
    from amlwatch.stages.run_log import record_start

    record_start(DAY + _dt.timedelta(days=1), _dt.datetime.now(), db=db)
    assert [r["outcome"] for r in run_log(db)] == ["failed", "started"]
    listed = CliRunner().invoke(app, ["runs", "--db", str(db)], terminal_width=250)
    assert listed.exit_code == 0, listed.output
    assert "失败" in listed.output and "未完成" in listed.output


def test_backfill_resumes_at_the_first_date_not_completed(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from amlwatch.cli import app

    inbox, db = tmp_path / "inbox", tmp_path / "wh.duckdb"
    days = [DAY + dt.timedelta(days=i) for i in range(3)]
    for i, day in enumerate(days):
        write_day(inbox, day, [txn(f"T{i}", booked_at=f"{day} 10:00:00")])
    base = ["backfill", "--inbox", str(inbox), "--db", str(db), "--from", str(days[0])]
    first = CliRunner().invoke(app, [*base, "--to", str(days[1])])
    assert first.exit_code == 0, first.output
    resumed = CliRunner().invoke(app, [*base, "--to", str(days[2]), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert f"resuming at {days[2]}" in resumed.output
    assert [r["run_date"] for r in run_log(db)] == days
    again = CliRunner().invoke(app, [*base, "--to", str(days[2]), "--resume"])
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_the_deployment_runs_at_two_in_shanghai_for_yesterday(tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    from pipelines.nightly import nightly_deployment

    deployment_id = nightly_deployment(db=tmp_path / "wh.duckdb", rule_pack="pboc-2016").apply()
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment(deployment_id)
    [schedule] = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 2 * * *", "Asia/Shanghai")
    assert schedule.active
    # no run date: each scheduled run takes the previous calendar day in Shanghai
    assert deployment.parameters == {"db": str(tmp_path / "wh.duckdb"), "rule_pack": "pboc-2016"}
    assert deployment.name == "amlwatch-nightly"

    split_id = nightly_deployment(db=tmp_path / "wh.duckdb", buckets=8).apply()
    with get_client(sync_client=True) as client:
        assert client.read_deployment(split_id).parameters == {
            "db": str(tmp_path / "wh.duckdb"),
            "buckets": 8,
        }


def test_rerunning_a_fixed_earlier_date_rescans_the_nights_after_it(tmp_path: Path) -> None:
    inbox, db = tmp_path / "inbox", tmp_path / "wh.duckdb"
    first, second = DAY, DAY + dt.timedelta(days=3)  # Friday, then Monday: one window

    def receipts(parties: int) -> list[dict[str, str]]:
        return [
            txn(
                f"R{i}",
                amount="25000",
                booked_at=f"{first} 09:{i:02d}:00",
                counterparty_account=f"6217000000000000{i:03d}",
            )
            for i in range(parties)
        ]

    write_day(inbox, first, receipts(12))
    payment = txn(
        "P1",
        direction="out",
        amount="290000",
        booked_at=f"{second} 10:00:00",
        counterparty_account="6228000000000000999",
    )
    write_day(inbox, second, [payment])
    nightly(run_date=first, inbox=inbox, db=db)
    assert nightly(run_date=second, inbox=inbox, db=db).patterns.alerts_opened == {  # type: ignore[union-attr]
        "AMLW-SP-0101": 1
    }
    with Warehouse.open(db, read_only=True) as wh:
        [(alert_id,)] = wh.rows("SELECT alert_id FROM suspicious_alerts")
    # the bank corrects Friday's file: only three of the receipts were real
    write_day(inbox, first, receipts(3))
    report = nightly(run_date=first, inbox=inbox, db=db)
    assert report.rescan is not None and report.rescan.scan_dates == [second]
    assert report.rescan.removed == [alert_id] and not report.rescan.opened
    with Warehouse.open(db, read_only=True) as wh:
        assert wh.scalar("SELECT count(*) FROM suspicious_alerts") == 0
    assert alert_id in read_artifact(f"nightly-{first:%Y%m%d}")


SAMPLE_INBOX = Path(__file__).parents[2] / "data_samples" / "inbox"
RESULT_TABLES = (
    "large_value_transactions",
    "suspicious_hits",
    "suspicious_alerts",
    "suspicious_alert_transactions",
    "network_hits",
    "network_hit_members",
    "network_hit_edges",
)


def result_tables(db: Path) -> dict[str, list[tuple]]:
    """Every result table's rows in a canonical order, without scan timestamps."""
    with Warehouse.open(db, read_only=True) as wh:
        tables = {}
        for table in RESULT_TABLES:
            columns = [r[0] for r in wh.rows(f"DESCRIBE {table}") if r[0] != "scanned_at"]
            tables[table] = sorted(wh.rows(f"SELECT {', '.join(columns)} FROM {table}"), key=str)
    return tables


@pytest.mark.slow
def test_the_flow_on_a_two_worker_dask_cluster_equals_the_single_process_run(
    tmp_path: Path,
) -> None:
    from distributed import LocalCluster

    from amlwatch.ingest import inbox_dates
    from amlwatch.stages.ingest import ingest_day
    from amlwatch.stages.large_value import scan_large_value_day
    from amlwatch.stages.patterns import scan_patterns_day
    from pipelines.nightly import with_task_runner

    days = inbox_dates(SAMPLE_INBOX)
    history, nights = days[:-8], days[-8:-4]  # large-value hits and ring alerts on these
    single, spread = tmp_path / "single.duckdb", tmp_path / "dask.duckdb"
    for day in history:
        ingest_day(day, SAMPLE_INBOX, single)
        scan_large_value_day(day, single)
        scan_patterns_day(day, single)
    shutil.copy(single, spread)

    expected = [
        nightly(run_date=night, inbox=SAMPLE_INBOX, db=single, reports_dir=tmp_path / "r1")
        for night in nights
    ]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
        on_dask = with_task_runner("dask", address=cluster.scheduler_address)
        got = [
            on_dask(
                run_date=night,
                inbox=SAMPLE_INBOX,
                db=spread,
                reports_dir=tmp_path / "r2",
                buckets=3,
            )
            for night in nights
        ]
        workers = len(cluster.workers)
    assert workers == 2
    assert result_tables(spread) == result_tables(single)
    for one, many in zip(expected, got, strict=True):
        assert one.large_value is not None and many.large_value is not None
        assert one.patterns is not None and many.patterns is not None
        assert many.large_value.hits_by_code == one.large_value.hits_by_code
        assert many.patterns.hits_by_code == one.patterns.hits_by_code
        assert many.large_value.transactions_scanned == one.large_value.transactions_scanned
    assert sum(r.large_value.hits for r in expected if r.large_value)  # something to compare
    assert sum(sum(r.patterns.hits_by_code.values()) for r in expected if r.patterns)

    names = set(task_run_names())  # each scan ran as one task per bucket
    assert {f"scan_patterns[{i}/3]" for i in (1, 2, 3)} <= names
    assert {f"scan_large_value[{i}/3]" for i in (1, 2, 3)} <= names
