"""One bad record never stops a night's filing: the records the validator refuses are held
(待补正) with their reason, business key and deadline, the others filed; once the data is
corrected the held records go out under the same key, never twice."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from amlwatch.cases import HoldRegister
from amlwatch.models import Filing
from amlwatch.stages.filings import write_large_value_submission
from amlwatch.stages.uploads import mark_uploaded, open_actions
from amlwatch.submission.messages import large_value_new
from amlwatch.submission.screen import large_value_paths, screen
from amlwatch.submission.structure import HVTR
from amlwatch.warehouse import Warehouse
from amlwatch.wiring import case_store
from tests.submission.conftest import INSTITUTION, hit_row
from tests.submission.test_filing import hits, ledger, reported

DAY = dt.date(2026, 10, 19)  # hits of several customers, one of them with several
NEXT = dt.date(2026, 10, 20)
TODAY = dt.date(2026, 10, 20)
BAD_ID = "11010119900101123X"  # a resident ID whose check character is wrong (…1237 is right)


def filed_keys(reports: Path, filing: Filing, day: dt.date) -> set[tuple[str, str, str, str]]:
    folder = reports / day.isoformat() / "submission"
    found: set[tuple[str, str, str, str]] = set()
    for stem in filing.files:
        if stem.startswith("NBH"):
            found |= reported((folder / f"{stem}.XML").read_bytes())
    return found


def set_id(db: Path, customer: str, id_type: str, number: str, on: dt.date) -> None:
    """The customer's data as a customers file of `on` brings it (a later version wins)."""
    with Warehouse.open(db) as wh:
        wh.execute(
            """INSERT INTO customer_history SELECT * REPLACE (?::DATE AS business_date,
                   ? AS id_type, ? AS id_number)
               FROM customers WHERE customer_id = ?""",
            [on, id_type, number, customer],
        )


def test_a_bad_id_holds_that_customers_records_and_files_the_rest(
    bank: tuple[Path, Path],
) -> None:
    db, reports = bank
    keys = hits(db, DAY)
    customer = Counter(k[0] for k in keys).most_common(1)[0][0]
    theirs = {k for k in keys if k[0] == customer}
    set_id(db, customer, "110001", BAD_ID, DAY)

    night = write_large_value_submission(DAY, db, reports, today=TODAY)
    assert night.held_records == len(theirs) and set(night.held_keys) == theirs
    assert filed_keys(reports, night, DAY) == keys - theirs  # the good records filed tonight
    assert all("校验码" in line and customer not in line for line in night.held)  # masked
    held = HoldRegister(case_store(db)).open()
    assert {h.key for h in held} == theirs
    assert {h.due for h in held} == {dt.date(2026, 10, 26)}  # 10-19 + 5 working days
    assert all(any("CTID" in r for r in h.reasons) for h in held)

    # the register lists them as one item, with the reason and the deadline, and never again
    # among the hits that no file carries
    todo = open_actions(ledger(db), TODAY, db=db)
    item = [a for a in todo if a.status.startswith("held")]
    assert len(item) == 1 and item[0].due == dt.date(2026, 10, 26) and not item[0].overdue
    assert str(len(theirs)) in item[0].what and "校验码" in item[0].what
    assert f"run {DAY}" not in {a.name for a in todo if a.status == "not filed"}

    # the printed form lists what was filed, and names the held records apart
    # (what a liaison signs is what is filed)
    uploaded = mark_uploaded(night.packages, "王敏", db)
    assert uploaded

    # a corrected customers file: the held records go out the next night, same keys
    set_id(db, customer, "110001", "110101199001011237", NEXT)
    after = write_large_value_submission(NEXT, db, reports, today=dt.date(2026, 10, 21))
    assert after.held_records == 0 and after.refiled_records == len(theirs)
    assert theirs <= filed_keys(reports, after, NEXT)
    register = HoldRegister(case_store(db))
    assert register.open() == []
    done = register.all(status="filed")
    assert {h.key for h in done} == theirs and all(h.late is False for h in done)

    # a re-run of that night files them once: the earlier unuploaded file is superseded and
    # the new one carries them; the uploaded first night's file is never sent again
    again = write_large_value_submission(NEXT, db, reports, today=dt.date(2026, 10, 21))
    assert again.superseded == after.files and again.refiled_records == len(theirs)
    assert theirs <= filed_keys(reports, again, NEXT)
    assert not (keys - theirs) & filed_keys(reports, again, NEXT)
    assert {h.filed_in for h in register.all(status="filed")} == {
        n for n in again.files if n.startswith("NBH")
    }


def test_a_record_no_longer_a_hit_is_withdrawn_from_hold(bank: tuple[Path, Path]) -> None:
    db, reports = bank
    keys = hits(db, DAY)
    customer = sorted(k[0] for k in keys)[0]
    set_id(db, customer, "110001", BAD_ID, DAY)
    write_large_value_submission(DAY, db, reports, today=TODAY)
    with Warehouse.open(db) as wh:  # a corrected load: the customer's records are no hits
        wh.execute("DELETE FROM large_value_transactions WHERE customer_id = ?", [customer])
    write_large_value_submission(NEXT, db, reports, today=TODAY)
    register = HoldRegister(case_store(db))
    assert register.open() == []
    assert {h.key for h in register.all(status="withdrawn")} == {
        k for k in keys if k[0] == customer
    }


def test_screen_holds_the_record_its_problem_belongs_to() -> None:
    good = hit_row(txn_id="T1", customer_id="C1")
    bad_method = hit_row(txn_id="T2", customer_id="C1", tx_method="010012")
    bad_id = [hit_row(txn_id=t, customer_id="C2", id_number=BAD_ID) for t in ("T3", "T4")]
    rows = [good, bad_method, *bad_id]
    filed, held, xml = screen(
        rows, lambda r: large_value_new(INSTITUTION, r), HVTR, large_value_paths, "HVTR"
    )
    assert [r["txn_id"] for r in filed] == ["T1"] and xml is not None
    reasons = {h.row["txn_id"]: h.reasons for h in held}
    assert sorted(reasons) == ["T2", "T3", "T4"]  # the transaction alone; the customer's day
    assert len(reasons["T2"]) == 1 and reasons["T2"][0].startswith("交易方式（TSTP）：")
    assert "10.3" in reasons["T2"][0]
    for txn in ("T3", "T4"):
        assert reasons[txn] == (
            "客户证件号码（CTID）：110001 证件号码: 校验码不符 / wrong check character",
        )
    assert (
        screen(
            [bad_method], lambda r: large_value_new(INSTITUTION, r), HVTR, large_value_paths, "HVTR"
        )[2]
        is None
    )
