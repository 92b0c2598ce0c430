"""List versions in the warehouse (import, diff, refusal keeps the version in force) and the
screening stage over a real warehouse and case store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from amlwatch import wiring
from amlwatch.cases.exceptions import Forbidden
from amlwatch.models import Role
from amlwatch.screening import ListEntry, ListFileRejected, ListName
from amlwatch.stages import screening
from amlwatch.synth.lists import generated_entries, list_csv, un_list_xml
from amlwatch.warehouse import Warehouse
from amlwatch.warehouse import screening as wh
from tests.conftest import CUSTOMERS, DAY, txn, write_day

PASSWORD = "Test-Pass-2026!"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A warehouse (with the conftest's customers loaded) and a case store with an approver
    and a liaison."""
    path = tmp_path / "wh.duckdb"
    inbox = tmp_path / "inbox"
    write_day(
        inbox,
        DAY,
        [txn("T1", counterparty_name="Crescent Shipping Co., Ltd.", counterparty_account="AC-777")],
    )
    from amlwatch.stages.ingest import ingest_day

    ingest_day(DAY, inbox, path)
    with wiring.open_review(path) as review:
        admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
        review.create_user(admin, "approver1", "审批人", Role.APPROVER, PASSWORD, [])
        review.create_user(admin, "liaison1", "联络员", Role.LIAISON, PASSWORD, ["B001"])
    return path


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_versions_record_what_each_import_changed(db: Path, tmp_path: Path) -> None:
    entries = generated_entries(np.random.default_rng(1), 5, 3, 2)
    first = screening.import_list(
        write(tmp_path, "un1.xml", un_list_xml(entries)), "UN", "approver1", db
    )
    assert (first.version, first.entries, first.added, first.changed, first.removed) == (
        1,
        10,
        10,
        0,
        0,
    )
    again = screening.import_list(
        write(tmp_path, "un1b.xml", un_list_xml(entries)), "un", "approver1", db
    )
    assert again.unchanged and again.version == 1
    changed = ListEntry(**{**entries[0].__dict__, "birth_dates": ("1950",)})
    added = ListEntry("NEW-1", "individual", (ListName("新名单人"),))
    later = [changed, *entries[1:-1], added]
    second = screening.import_list(
        write(tmp_path, "un2.xml", un_list_xml(later)), "UN", "approver1", db
    )
    assert (second.version, second.added, second.changed, second.removed) == (2, 1, 1, 1)
    with Warehouse.open(db, read_only=True) as warehouse:
        diff = wh.list_diff(warehouse, "UN", 1, 2)
        assert diff.added == ("NEW-1",) and diff.changed == (entries[0].ref,)
        assert diff.removed == (entries[-1].ref,)
        old = wh.entry_as_versioned(warehouse, "UN", 1, entries[0].ref)
        assert old == entries[0]
        assert wh.lists_fingerprint(warehouse) == "UN:2"
    log = audit_log(db)
    assert [a for a, _ in log].count("screening list imported") == 3
    assert any(
        "version" in detail and "2" in detail for a, detail in log if a == "screening list imported"
    )


def audit_log(db: Path) -> list[tuple[str, str]]:
    from sqlalchemy import text

    with wiring.open_review(db) as review, review.store.read() as con:
        rows = con.execute(text("SELECT action, detail FROM audit_log ORDER BY seq")).all()
    return [(str(a), str(d)) for a, d in rows]


def test_a_malformed_file_is_refused_audited_and_the_version_in_force_kept(
    db: Path, tmp_path: Path
) -> None:
    entries = generated_entries(np.random.default_rng(2), 4, 0, 0)
    screening.import_list(write(tmp_path, "ct.csv", list_csv(entries)), "CN-CT", "approver1", db)
    broken = list_csv(entries).replace(b",individual,", b",person,", 1)
    with pytest.raises(ListFileRejected) as refused:
        screening.import_list(write(tmp_path, "ct2.csv", broken), "CN-CT", "approver1", db)
    assert refused.value.line == 2 and refused.value.column == "party_type"
    with Warehouse.open(db, read_only=True) as warehouse:
        assert [v.version for v in wh.list_versions(warehouse, "CN-CT")] == [1]
    assert "screening list refused" in [a for a, _ in audit_log(db)]


def test_only_approvers_and_administrators_import_lists(db: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "ct.csv", list_csv(generated_entries(np.random.default_rng(3), 2, 0, 0)))
    with pytest.raises(Forbidden):
        screening.import_list(path, "CN-CT", "liaison1", db)
    from amlwatch.cases.exceptions import NotFound

    with pytest.raises(NotFound):
        screening.import_list(path, "CN-CT", "nobody", db)
    with Warehouse.open(db, read_only=True) as warehouse:
        assert wh.list_versions(warehouse) == []


def listing(tmp_path: Path) -> list[ListEntry]:
    customer = CUSTOMERS[0]  # 张三, born 1990-01-01 by the resident ID
    return [
        ListEntry("U1", "individual", (ListName("ZHANG San"),), birth_dates=("1990-01-01",)),
        ListEntry("U2", "entity", (ListName("Crescent Shipping Limited"),)),
        ListEntry("U3", "individual", (ListName("某甲"),), id_numbers=(customer["id_number"],)),
        ListEntry("U4", "individual", (ListName("李四"),), birth_dates=("1950",)),
    ]


def test_the_night_screens_its_customers_and_counterparties_and_a_rerun_replaces(
    db: Path, tmp_path: Path
) -> None:
    screening.import_list(
        write(tmp_path, "un.csv", list_csv(listing(tmp_path))), "UN", "approver1", db
    )
    first = screening.screen_night(DAY, db)
    assert first.rescreened  # the first screening against these lists: every customer
    assert first.cases == {"opened": 3}
    with Warehouse.open(db, read_only=True) as warehouse:
        rows = wh.matches_of(warehouse, DAY)
    found = {(r["subject_kind"], r["entry_ref"], r["band"]) for r in rows}
    assert ("customer", "U1", "hit") in found and ("customer", "U3", "hit") in found
    assert ("counterparty", "U2", "hit") in found
    assert not any(r["entry_ref"] == "U4" for r in rows)
    again = screening.screen_night(DAY, db)
    assert again.rescreened  # a re-run decides as the first run did
    assert again.cases == {"found again": 3}
    with Warehouse.open(db, read_only=True) as warehouse:
        rerun = wh.matches_of(warehouse, DAY)
    assert sorted(r["match_key"] for r in rerun) == sorted(r["match_key"] for r in rows)
    assert not screening.screen_night(DAY + dt.timedelta(days=1), db).rescreened


def test_no_list_no_screening(db: Path) -> None:
    result = screening.screen_night(DAY, db)
    assert result.lists == "" and result.hits == 0


def test_the_feed_folder_brings_new_versions_and_refuses_a_bad_file(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "UN.csv").write_bytes(list_csv(listing(tmp_path)))
    (feed / "INTERNAL.csv").write_bytes(b"list_ref,party_type\n")
    (feed / "notes.txt").write_text("not a list")
    monkeypatch.setenv("AMLWATCH_LISTS_DIR", str(feed))
    from amlwatch.settings import get_settings

    get_settings.cache_clear()
    result = screening.screen_night(DAY, db)
    assert (
        result.imported == ["UN:1"]
        and len(result.refused) == 1
        and "INTERNAL.csv" in result.refused[0]
    )
    assert result.hits >= 3
    again = screening.screen_night(DAY, db)
    assert again.imported == [] and len(again.refused) == 1  # the same files: nothing new
    assert {a for a, _ in audit_log(db)} >= {"screening list imported", "screening list refused"}


def test_subject_digest_changes_with_the_data() -> None:
    from amlwatch.screening import Subject

    a = screening.subject_digest(Subject("individual", ("张三",), ("1",)))
    b = screening.subject_digest(Subject("individual", ("张三",), ("2",)))
    assert a != b


def test_the_night_reports_customers_frozen_by_confirmed_hits(db: Path, tmp_path: Path) -> None:
    screening.import_list(
        write(tmp_path, "un.csv", list_csv(listing(tmp_path))), "UN", "approver1", db
    )
    screening.screen_night(DAY, db)
    with wiring.open_review(db) as review:
        admin = review.list_importer("admin")
        review.create_user(admin, "approver2", "审批人二", Role.APPROVER, PASSWORD, [])
        liaison, approver = review.list_importer("approver1"), review.list_importer("approver2")
        case = next(c for c in review.screening_queue(liaison) if c.entry_ref == "U1")
        review.propose_screening(liaison, case.id, True, "姓名拼音与出生日期一致，核对证件为同一人")
        review.decide_screening(approver, case.id, True)
    night = screening.screen_night(DAY + dt.timedelta(days=1), db)
    assert night.frozen == 1 and len(night.acted) == 1 and "freeze" in night.acted[0]
    from amlwatch.models import LoadReport, NightlyReport
    from amlwatch.summary import nightly_markdown

    text = nightly_markdown(
        NightlyReport(load=LoadReport(load_id="x", business_date=DAY), screening=night)
    )
    assert "customers frozen by confirmed hits: 1" in text
