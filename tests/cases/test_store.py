"""The case store itself: migrations, the audit chain, concurrent writers."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text, update
from sqlalchemy.exc import DBAPIError

from amlwatch.cases import CaseStore, SubmissionLedger, open_cases
from amlwatch.cases.audit import append, verify
from amlwatch.cases.exceptions import CaseStoreLocked, CaseStoreUnavailable
from amlwatch.cases.store import metadata, upgrade
from amlwatch.cases.submissions import counters, files, keys, receipts
from amlwatch.cases.tables import audit_log, case_snapshots
from tests.cases.factory import alert_evidence


def test_migrations_build_exactly_the_tables_the_code_uses(store: CaseStore) -> None:
    with store.read() as con:
        assert compare_metadata(MigrationContext.configure(con), metadata) == []
        version = con.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == "0016"
    upgrade(store.engine)  # opening again changes nothing
    with store.read() as con:
        assert compare_metadata(MigrationContext.configure(con), metadata) == []


def test_a_store_made_before_migrations_is_adopted_with_its_records(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    # the first version created the submission tables with create_all
    metadata.create_all(engine, tables=[counters, files, keys, receipts])
    with engine.begin() as con:  # without the columns later migrations added
        for column in ("uploaded_at", "uploaded_by"):
            con.execute(text(f"ALTER TABLE submission_files DROP COLUMN {column}"))
        con.execute(counters.insert().values(day=dt.date(2026, 11, 20), counter="message", last=7))
    engine.dispose()
    store = CaseStore.sqlite_file(path)
    with store.read() as con:
        assert set(inspect(con).get_table_names()) >= {"cases", "audit_log", "submission_keys"}
        assert con.execute(select(counters.c.last)).scalar_one() == 7
    assert SubmissionLedger(store).files() == []
    store.close()


def test_the_chain_detects_a_changed_a_removed_and_a_forged_entry(store: CaseStore) -> None:
    with store.write() as con:
        for i in range(6):
            append(con, "liaison1", "case viewed", f"case:{i}", version=1)
    assert verify(store).ok and verify(store).entries == 6
    # the database refuses to change or delete entries
    with pytest.raises(DBAPIError), store.write() as con:
        con.execute(update(audit_log).where(audit_log.c.seq == 3).values(username="x"))
    with pytest.raises(DBAPIError), store.write() as con:
        con.execute(audit_log.delete().where(audit_log.c.seq == 6))
    # someone with the database owner's rights removes the guard and edits entry 3
    _drop_guard(store)
    with store.write() as con:
        con.execute(update(audit_log).where(audit_log.c.seq == 3).values(target="case:99"))
    check = verify(store)
    assert (check.ok, check.broken_at) == (False, 3)
    with store.write() as con:
        con.execute(update(audit_log).where(audit_log.c.seq == 3).values(target="case:2"))
    assert verify(store).ok  # put back: intact again
    with store.write() as con:
        con.execute(audit_log.delete().where(audit_log.c.seq == 4))
    assert verify(store).broken_at == 4  # a gap
    with store.write() as con:
        row = con.execute(select(audit_log).where(audit_log.c.seq == 5)).one()
        con.execute(audit_log.delete().where(audit_log.c.seq >= 5))
        # a forged entry 4 with a well-formed hash of its own cannot join entry 3's chain
        con.execute(audit_log.insert().values({**row._asdict(), "seq": 4}))
    assert verify(store).broken_at == 4


def test_concurrent_appends_keep_one_chain(store: CaseStore) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with store.write() as con:
                    append(con, f"user{n}", "case viewed", f"case:{i}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    check = verify(store)
    assert check.ok and check.entries == 90


def _drop_guard(store: CaseStore) -> None:
    with store.write() as con:
        if store.sqlite:
            con.execute(text("DROP TRIGGER audit_log_no_update"))
            con.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            con.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
            con.execute(text("DROP TRIGGER audit_log_retention ON audit_log"))


def test_evidence_snapshots_cannot_be_changed(store: CaseStore) -> None:
    open_cases(store, [alert_evidence("AMLW-SP-0101-20260929-aaaa0001")], dt.date(2026, 9, 29))
    with pytest.raises(DBAPIError), store.write() as con:
        con.execute(update(case_snapshots).values(content={}))
    with pytest.raises(DBAPIError), store.write() as con:
        con.execute(case_snapshots.delete())
    with store.read() as con:
        assert con.execute(select(case_snapshots.c.content)).scalar_one()["alert"]


def test_a_store_locked_past_the_wait_is_a_transient_error(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite"
    holder = CaseStore.sqlite_file(path)
    waiter = CaseStore(f"sqlite:///{path}", lock_timeout_s=0.2)
    try:
        with holder.write() as con:
            append(con, "nightly", "holding", "")
            with pytest.raises(CaseStoreLocked) as locked, waiter.write() as other:
                append(other, "web", "waiting", "")
        assert locked.value.retryable
        with waiter.write() as other:  # once the holder commits, the waiter gets through
            append(other, "web", "waiting", "")
        assert verify(waiter).entries == 2
    finally:
        holder.close()
        waiter.close()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///{tmp}/no-such-folder/cases.sqlite",  # cannot be opened
        "postgresql+psycopg://nobody:x@127.0.0.1:1/cases",  # nothing listens on port 1
    ],
)
def test_a_store_that_cannot_be_reached_is_a_transient_error(tmp_path: Path, url: str) -> None:
    with pytest.raises(CaseStoreUnavailable) as down:
        CaseStore(url.format(tmp=tmp_path))
    assert down.value.retryable


def test_a_bad_statement_stays_terminal(store: CaseStore) -> None:
    with pytest.raises(DBAPIError) as bad, store.read() as con:
        con.execute(text("SELECT * FROM no_such_table"))
    assert not getattr(bad.value, "retryable", False)
