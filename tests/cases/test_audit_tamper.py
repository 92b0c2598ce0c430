"""Tampering with the audit trail as someone with the database owner's rights would, on SQLite
and PostgreSQL: every way is seen by `verify` and named (the key and the checkpoint file are
outside the database)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text, update

from amlwatch.cases import CaseStore, Review, open_cases, seals, signing
from amlwatch.cases.audit import checkpoint, entry_hash, verify
from amlwatch.cases.tables import audit_head, audit_log, case_events, cases, users
from amlwatch.models import User
from tests.cases.factory import alert_evidence

NIGHT = dt.date(2026, 9, 29)


@pytest.fixture
def signed(
    store: CaseStore, review: Review, people: dict[str, User], tmp_path: Path
) -> Iterator[tuple[CaseStore, Path, int]]:
    """A signed store with a reviewed case, checkpointed at key creation and after the work:
    the store, the checkpoint file, the case."""
    marks = tmp_path / "audit-checkpoints.log"
    store.audit_key = secrets.token_bytes(32)
    seals.baseline(store, "admin")
    checkpoint(store, marks, signing.KEY_CREATED)
    [case_id] = open_cases(store, [alert_evidence("AMLW-SP-0101-20260929-aaaa0001")], NIGHT).opened
    review.start_review(people["liaison1"], case_id)
    review.propose(
        people["liaison1"], case_id, "客户多笔分散转入后集中转出", "无合理经营背景", ["1402"], "01"
    )
    review.approve(people["approver1"], case_id, "同意上报")
    checkpoint(store, marks)
    yield store, marks, case_id


def _owner(store: CaseStore, sql: str) -> None:
    """Run SQL as the database owner: the append-only guards dropped first."""
    with store.write() as con:
        if store.sqlite:
            for name in ("audit_log_no_update", "audit_log_no_delete"):
                con.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        else:
            for name in ("audit_log_append_only", "audit_log_retention"):
                con.execute(text(f"DROP TRIGGER IF EXISTS {name} ON audit_log"))
        con.execute(text(sql))


def _rechain(store: CaseStore, start: int) -> None:
    """Recompute every hash from `start` on, as a forger without the key can, and the head."""
    with store.write() as con:
        rows = con.execute(select(audit_log).where(audit_log.c.seq >= start).order_by("seq"))
        previous = con.execute(
            select(audit_log.c.hash).where(audit_log.c.seq == start - 1)
        ).scalar_one()
        for row in rows.all():
            digest = entry_hash(
                row.seq, row.at, row.username, row.action, row.target, row.detail, previous
            )
            con.execute(
                update(audit_log)
                .where(audit_log.c.seq == row.seq)
                .values(prev_hash=previous, hash=digest)
            )
            previous = digest
        con.execute(update(audit_head).values(hash=previous))


def test_an_untouched_signed_trail_verifies(signed: tuple[CaseStore, Path, int]) -> None:
    store, marks, _ = signed
    check = verify(store, marks)
    assert check.ok and check.signed, check
    with store.read() as con:  # signed from the key on (the users made before: chained only)
        macs = dict(con.execute(select(audit_log.c.seq, audit_log.c.mac)).all())
        created = con.execute(
            select(audit_log.c.seq).where(audit_log.c.action == "audit key created")
        ).scalar_one()
    assert {s for s, mac in macs.items() if mac is None} == set(range(1, created))


def test_removing_the_newest_entries_and_resetting_the_head_is_seen(
    signed: tuple[CaseStore, Path, int],
) -> None:
    store, marks, _ = signed
    with store.read() as con:
        last = con.execute(select(audit_head.c.seq)).scalar_one()
        keep = con.execute(select(audit_log).where(audit_log.c.seq == last - 3)).one()
    _owner(store, f"DELETE FROM audit_log WHERE seq > {keep.seq}")
    with store.write() as con:
        con.execute(update(audit_head).values(seq=keep.seq, hash=keep.hash))
    check = verify(store, marks)
    assert not check.ok and check.broken_at is None
    assert any(f"entries {keep.seq + 1}–{last} were removed" in p for p in check.problems)


def test_entries_written_since_the_last_checkpoint_cannot_be_removed_unseen(
    signed: tuple[CaseStore, Path, int], review: Review, people: dict[str, User]
) -> None:
    """Each write anchors the head it reached in the checkpoint file (the store as the product
    opens it): a day's views, notes and decisions after the night's checkpoint are held too."""
    store, marks, case_id = signed
    store.audit_checkpoints = marks
    with store.read() as con:
        night = con.execute(select(audit_log).where(audit_log.c.seq == select(
            audit_head.c.seq).scalar_subquery())).one()  # fmt: skip
    review.view_case(people["approver1"], case_id)  # the day's work: a view, a note
    review.add_note(people["liaison1"], case_id, "已电话核实客户经营情况")
    _owner(store, f"DELETE FROM audit_log WHERE seq > {night.seq}")
    with store.write() as con:
        con.execute(update(audit_head).values(seq=night.seq, hash=night.hash))
    check = verify(store, marks)
    assert not check.ok and any("were removed" in p for p in check.problems), check


def test_a_trail_stripped_of_its_macs_with_the_checkpoint_file_emptied_is_seen(
    signed: tuple[CaseStore, Path, int],
) -> None:
    store, marks, _ = signed
    _owner(store, "UPDATE audit_log SET mac = NULL")
    marks.write_text("")
    check = verify(store, marks)
    assert not check.ok
    assert any("empty or missing although an audit key exists" in p for p in check.problems)
    marks.unlink()
    assert not verify(store, marks).ok


def test_an_entry_changed_and_the_chain_recomputed_is_seen(
    signed: tuple[CaseStore, Path, int],
) -> None:
    store, marks, _ = signed
    with store.read() as con:
        seq = con.execute(
            select(audit_log.c.seq).where(audit_log.c.action == "approved")
        ).scalar_one()
    _owner(store, f"UPDATE audit_log SET username = 'approver2' WHERE seq = {seq}")
    _rechain(store, seq)
    check = verify(store, marks)
    assert check.broken_at == seq
    assert check.reason.endswith("its MAC does not match: changed and re-chained, or forged")
    _owner(store, "UPDATE audit_log SET mac = NULL")  # and without the MACs at all
    check = verify(store, marks)
    assert check.broken_at is not None and "not signed" in check.reason


def test_a_case_event_or_a_case_rewritten_in_the_database_is_seen(
    signed: tuple[CaseStore, Path, int],
) -> None:
    store, marks, case_id = signed
    with store.write() as con:  # the approver's name in the case's history
        con.execute(
            update(case_events)
            .where(case_events.c.action == "approved")
            .values(username="approver2")
        )
    problems = verify(store, marks).problems
    assert any(p.startswith("case event") and p.endswith("was changed") for p in problems)
    with store.write() as con:
        con.execute(
            update(case_events)
            .where(case_events.c.action == "approved")
            .values(username="approver1")
        )
        con.execute(update(cases).where(cases.c.id == case_id).values(state="dismissed"))
    assert verify(store, marks).problems == (
        f"case #{case_id} was changed outside the application",
    )


def test_a_user_granted_or_added_in_the_database_is_seen(
    signed: tuple[CaseStore, Path, int],
) -> None:
    store, marks, _ = signed
    with store.write() as con:
        con.execute(update(users).where(users.c.username == "auditor1").values(role="approver"))
    assert verify(store, marks).problems == ("user auditor1 was changed outside the application",)
    with store.write() as con:
        con.execute(update(users).where(users.c.username == "auditor1").values(role="auditor"))
        hashed = con.execute(
            select(users.c.password_hash).where(users.c.username == "admin")
        ).scalar_one()
        con.execute(
            insert(users).values(
                username="ghost",
                display_name="ghost",
                role="approver",
                password_hash=hashed,
                active=True,
                failed_logins=0,
                created_at=dt.datetime.now(),
            )
        )
    assert verify(store, marks).problems == ("user ghost has no seal (added outside the app)",)


def test_a_forged_checkpoint_and_a_missing_key_are_seen(
    signed: tuple[CaseStore, Path, int],
) -> None:
    store, marks, _ = signed
    line = marks.read_text().splitlines()[-1].split("\t")
    with marks.open("a") as out:
        out.write("\t".join([*line[:2], str(int(line[2]) + 5), line[3], "0" * 64]) + "\n")
    [problem] = verify(store, marks).problems
    assert problem.endswith("is forged: its MAC does not match")
    store.audit_key = None
    assert "no audit key is configured" in " ".join(verify(store).problems)
