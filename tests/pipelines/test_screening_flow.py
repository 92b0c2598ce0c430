"""The nightly flow screens first: a generated bank with planted listed customers, legal
representatives and counterparties, its lists dropped in the feed folder, found the first
night as screening cases; a new version of the UN list imported at the console, and the next
night screens every customer again and finds the one it added."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness
from typer.testing import CliRunner

from amlwatch import wiring
from amlwatch.cli import app
from amlwatch.models import Role
from amlwatch.settings import get_settings
from amlwatch.synth import generate_bank
from pipelines.nightly import nightly
from tests.pipelines.test_nightly import read_artifact

pytestmark = [pytest.mark.integration, pytest.mark.slow]
START = dt.date(2026, 10, 12)  # a Monday
PASSWORD = "Test-Pass-2026!"


@pytest.fixture(scope="module", autouse=True)
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=180):
        yield


def cases_found(db: Path) -> set[tuple[str, str, str]]:
    with wiring.open_review(db) as review:
        approver = review.list_importer("approver1")
        return {
            (c.subject_kind, c.subject_ref, c.entry_ref)
            for c in review.screening_queue(approver, ())
        }


def test_the_night_screens_first_and_a_list_change_screens_everyone_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = tmp_path / "bank"
    generate_bank(bank, customers=600, days=3, start=START, seed=36)
    monkeypatch.setenv("AMLWATCH_LISTS_DIR", str(bank / "lists"))
    get_settings.cache_clear()
    db = tmp_path / "wh.duckdb"
    with wiring.open_review(db) as review:
        admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
        review.create_user(admin, "approver1", "审批人", Role.APPROVER, PASSWORD, [])
    expected = [
        json.loads(line) for line in (bank / "lists" / "expected.jsonl").open(encoding="utf-8")
    ]

    first = nightly(run_date=START, inbox=bank / "inbox", db=db)
    assert (
        first.screening.imported == ["CN-CT:1", "INTERNAL:1", "UN:1"] and first.screening.rescreened
    )
    found = cases_found(db)
    for e in expected:
        key = (e["subject_kind"], e["subject_ref"], e["entry_ref"])
        assert (key in found) == (e["expect"] == "hit"), e
    summary = read_artifact(f"nightly-{START:%Y%m%d}")
    assert "名单监测 Screening" in summary and "suspected hits" in summary
    assert first.stage_seconds  # the screening stage is timed with the others
    assert list(first.stage_seconds)[:2] == ["ingest", "screening"]

    later = CliRunner().invoke(
        app, ["screening", "import", str(bank / "lists" / "later" / "UN.xml"), "--list", "UN",
              "--as", "approver1", "--db", str(db)],
    )  # fmt: skip
    assert later.exit_code == 0, later.output
    assert "第 2 版" in later.output and "新增 1" in later.output
    second = nightly(run_date=START + dt.timedelta(days=1), inbox=bank / "inbox", db=db)
    assert second.screening.rescreened and second.screening.imported == []
    added = next(e for e in expected if e["expect"] == "after_change")
    assert (added["subject_kind"], added["subject_ref"], added["entry_ref"]) in cases_found(db)
    # the first night's customers were found again (not doubled); its counterparties only
    # when they transact again
    customers = [
        e for e in expected if e["expect"] == "hit" and e["subject_kind"] != "counterparty"
    ]
    assert second.screening.cases["found again"] >= len(customers)
    with wiring.open_review(db) as review:
        every = review.screening_queue(review.list_importer("approver1"), ())
    pairs = [(c.subject_kind, c.subject_ref, c.list_code, c.entry_ref) for c in every]
    assert len(pairs) == len(set(pairs))
