"""Bucket workers that need only the window store: a Dask cluster of two worker processes,
started in another working directory and without the warehouse's path, scans the sample
bank's nights from the plans and the store while the warehouse file is not there at all —
both scanners, large value and patterns — and the tables stored from their hits are the
one-process scan's, for 1, 3 and 8 buckets."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from amlwatch.ingest import inbox_dates
from amlwatch.stages.ingest import ingest_day
from amlwatch.stages.large_value import (
    plan_large_value_buckets,
    scan_large_value_day,
    scan_large_value_plan,
    store_large_value,
)
from amlwatch.stages.patterns import (
    plan_patterns,
    scan_part_plan,
    scan_patterns_day,
    store_patterns,
)
from amlwatch.warehouse import Bucket
from tests.pipelines.test_nightly import SAMPLE_INBOX, result_tables

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def where_am_i(_: object) -> tuple[str, str | None]:
    return os.getcwd(), os.environ.get("AMLWATCH_DB")


def kernels_loaded() -> int:
    from amlwatch.scanners import warm

    return sum(warm._loaded.values())


def test_workers_without_the_warehouse_find_what_one_process_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import Client, LocalCluster

    days = inbox_dates(SAMPLE_INBOX)
    loaded, nights = days[:-4], days[-8:-4]  # the nights hold ring alerts (test_nightly)
    db = tmp_path / "bank.duckdb"
    for day in loaded:
        ingest_day(day, SAMPLE_INBOX, db)
    single = tmp_path / "single.duckdb"
    shutil.copy(db, single)
    for night in nights:
        scan_large_value_day(night, single)
        scan_patterns_day(night, single)
    expected = result_tables(single)
    assert expected["suspicious_hits"] and expected["suspicious_alerts"]
    assert expected["large_value_transactions"]

    elsewhere = tmp_path / "worker-home"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the workers start here, with no warehouse setting
    monkeypatch.delenv("AMLWATCH_DB", raising=False)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, preload=["amlwatch.scanners.warm"]
        ) as cluster,
        Client(cluster) as client,
    ):
        homes = client.gather(client.map(where_am_i, range(4), pure=False))
        assert {h for h, _ in homes} == {str(elsewhere)} and {e for _, e in homes} == {None}
        assert len(client.scheduler_info()["workers"]) == 2
        # the preload ran as each worker started (the cache holds kernels: the single run's)
        assert all(client.run(kernels_loaded).values())
        for count in (1, 3, 8):
            spread = tmp_path / f"spread-{count}.duckdb"
            shutil.copy(db, spread)
            away = tmp_path / "away"
            for night in nights:
                split = Bucket.all_of(count)
                large = plan_large_value_buckets(night, spread, None, split)
                plans = plan_patterns(night, spread, None, split)
                spread.rename(away)  # the scans cannot open what is not there
                try:
                    found = client.gather(client.map(scan_large_value_plan, large, pure=False))
                    parts = client.gather(client.map(scan_part_plan, plans, pure=False))
                finally:
                    away.rename(spread)
                store_large_value(spread, found)
                store_patterns(night, spread, None, parts)
            assert result_tables(spread) == expected, f"{count} buckets"
