"""Filing against a real warehouse (the committed sample bank) and a real case store: numbering,
re-runs, crashes, corrections and deletions, receipts, notices and suspicious reports."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import pytest

from amlwatch.cases import SubmissionLedger
from amlwatch.stages.filings import (
    answer_notice,
    correct_from_receipt,
    file_suspicious_case,
    read_receipts,
    write_large_value_submission,
    write_suspicious_draft,
)
from amlwatch.submission import filing as filing_module
from amlwatch.submission.exceptions import UnknownFileName
from amlwatch.submission.messages import SuspiciousCase
from amlwatch.submission.names import MessageName
from amlwatch.submission.structure import BSTR
from amlwatch.submission.validate import check, validate
from amlwatch.summary import submission_markdown
from amlwatch.warehouse import Warehouse
from amlwatch.warehouse import submission as wh_submission
from amlwatch.wiring import case_store, institution

SAMPLE = Path(__file__).parents[2] / "data_samples" / "inbox"
TODAY = dt.date(2026, 11, 23)
RICD = "C0000000000001"


def ledger(db: Path) -> SubmissionLedger:
    return SubmissionLedger(case_store(db))


def hits(db: Path, day: dt.date) -> set[tuple[str, str, str, str]]:
    with Warehouse.open(db, read_only=True) as wh:
        rows = wh.rows(
            """SELECT customer_id, strftime(trade_date, '%Y%m%d'), characteristic_code, txn_id
               FROM large_value_transactions
               WHERE trade_date IN (SELECT DISTINCT trade_date FROM transactions
                                    WHERE business_date = ?)""",
            [day],
        )
    return {tuple(r) for r in rows}  # type: ignore[misc]


def reported(xml: bytes) -> set[tuple[str, str, str, str]]:
    data = check(xml)
    return {
        (c["CBIF"]["CSNM"], c["HTDT"], h["CRCD"], t["TSIF"]["TICD"])
        for c in data["CATIs"]
        for h in c["HTCRs"]
        for i in h["CCIFs"]
        for t in i["TSDTs"]
    }


DAY = dt.date(2026, 10, 21)


def test_a_run_date_files_exactly_its_hits_numbered_from_one(bank: tuple[Path, Path]) -> None:
    db, reports = bank
    filing = write_large_value_submission(DAY, db, reports, today=TODAY)
    stem = f"NBH{RICD}-20261123-00000001"
    assert filing.files == [stem] and filing.packages == [f"{stem}.ZIP"]
    folder = reports / "2026-10-21" / "submission"
    with zipfile.ZipFile(folder / f"{stem}.ZIP") as zf:
        assert zf.namelist() == [f"{stem}.XML"]
        xml = zf.read(f"{stem}.XML")
    assert reported(xml) == hits(db, DAY) and filing.new_records == len(hits(db, DAY)) > 0
    record = ledger(db).file(stem)
    assert record is not None and record.status == "written" and record.run_date == DAY


def test_reruns_and_crashes_never_reuse_a_number(
    bank: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, reports = bank
    folder = reports / "2026-10-21" / "submission"
    first = write_large_value_submission(DAY, db, reports, today=TODAY)
    second = write_large_value_submission(DAY, db, reports, today=TODAY)
    assert second.superseded == first.files
    assert second.files == [f"NBH{RICD}-20261123-00000002"]
    assert sorted(p.name for p in folder.glob("*.ZIP")) == [f"{second.files[0]}.ZIP"]
    assert (folder / "superseded" / f"{first.files[0]}.ZIP").exists()

    def crash(path: Path, data: bytes) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(filing_module, "write_file", crash)
    with pytest.raises(OSError, match="disk full"):
        write_large_value_submission(DAY, db, reports, today=TODAY)
    monkeypatch.undo()
    third = write_large_value_submission(DAY, db, reports, today=TODAY)
    assert third.files == [f"NBH{RICD}-20261123-00000004"]  # number 3 died with the crash
    statuses = {r.name[-1]: r.status for r in ledger(db).files()}
    assert statuses == {"1": "superseded", "2": "superseded", "3": "superseded", "4": "written"}
    tomorrow = write_large_value_submission(DAY, db, reports, today=TODAY + dt.timedelta(1))
    assert tomorrow.files == [f"NBH{RICD}-20261124-00000001"]  # numbers restart each day


def test_a_large_submission_is_split_into_packages_under_the_limit(
    bank: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from amlwatch.submission import package
    from amlwatch.submission.messages import large_value_new
    from amlwatch.submission.structure import HVTR, to_xml
    from amlwatch.warehouse.large_value import large_value_submission_rows

    db, reports = bank
    days = [dt.date(2026, 10, 16), dt.date(2026, 10, 19), DAY]
    with Warehouse.open(db, read_only=True) as wh:
        rows = large_value_submission_rows(wh, days)
    who = institution()
    customer_days = sorted({(r["customer_id"], r["trade_date"]) for r in rows})
    largest = max(
        package.compressed_size(
            to_xml(
                HVTR,
                large_value_new(
                    who, [r for r in rows if (r["customer_id"], r["trade_date"]) == cd]
                ),
            )
        )
        for cd in customer_days
    )
    limit = int(largest * 1.3)  # room for one message of each customer-day, not for three
    monkeypatch.setattr(package, "MAX_PACKAGE_BYTES", limit)
    folder = reports / "split"
    filing = filing_module.file_large_value(
        rows, days, who, ledger(db), folder, DAY, TODAY, max_records=1
    )
    assert len(filing.files) == len(customer_days)  # a customer's day is never split
    assert len(filing.packages) > 1
    sent: set[tuple[str, str, str, str]] = set()
    for name in filing.packages:
        assert (folder / name).stat().st_size <= limit
        with zipfile.ZipFile(folder / name) as zf:
            assert {MessageName.parse(n).family for n in zf.namelist()} == {"NBH"}
            for member in zf.namelist():
                sent |= reported(zf.read(member))
    assert sent == set().union(*(hits(db, d) for d in days))


def of_files(todo: list) -> list:
    """The to-dos about recorded files (without the hits no file carries yet)."""
    return [a for a in todo if a.status != "not filed"]


def receipt_xml(name: str, sfid: str, body: str = "") -> bytes:
    """A receipt as chapter 8 draws it."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<FDBK><RPID>{name}</RPID>'
        f"<SFID>{sfid}</SFID>{body}</FDBK>"
    ).encode()


def put_receipt(folder: Path, kind: str, name: str, sfid: str, body: str = "") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    file = f"{kind}[{name}]20261124093000.XML"
    (folder / file).write_bytes(receipt_xml(name, sfid, body))
    return file


def success(db: Path, name: str) -> str:
    """A success receipt's summary with the file's own counts (CTTN, HTNM)."""
    record = ledger(db).file(name)
    assert record is not None and record.path is not None
    data = check(Path(record.path).read_bytes())
    return f"<FDSI><CTTN>{data['RBIF']['CTTN']}</CTTN><HTNM>{record.records}</HTNM></FDSI>"


def test_held_records_are_corrected_or_deleted_when_the_data_changes(
    bank: tuple[Path, Path], tmp_path: Path
) -> None:
    db, reports = bank
    day = dt.date(2026, 10, 19)  # hits of several customers, one of them with several
    first = write_large_value_submission(day, db, reports, today=TODAY)
    inbox = tmp_path / "receipts"
    put_receipt(inbox, "FDSC", first.files[0], "SUCC", success(db, first.files[0]))
    reading, todo = read_receipts(inbox, db, TODAY)
    assert [r.result for r in reading.recorded] == ["accepted"] and of_files(todo) == []

    keys = sorted(hits(db, day))
    gone, changed = keys[0], keys[-1]
    with Warehouse.open(db) as wh:  # the bank's corrected data: one hit less, a new address
        wh.execute(
            "DELETE FROM large_value_transactions WHERE txn_id = ? AND characteristic_code = ?",
            [gone[3], gone[2]],
        )
        wh.execute(
            "UPDATE customer_history SET address = '上海市新地址8号' WHERE customer_id = ?",
            [changed[0]],
        )
    again = write_large_value_submission(day, db, reports, today=TODAY)
    assert again.new_records == 0 and again.deleted_records == 1
    same_customer = [k for k in keys if k[0] == changed[0] and k != gone]
    assert again.corrected_records == len(same_customer)
    folder = reports / day.isoformat() / "submission"
    kinds = {MessageName.parse(n).family: n for n in again.files}
    correction = check((folder / f"{kinds['CBH']}.XML").read_bytes())
    assert {t["OTIC"] for t in correction["TSDTs"]} == {k[3] for k in same_customer}
    deletion = check((folder / f"{kinds['DBH']}.XML").read_bytes())
    assert [(d["CSNM"], d["TICD"]) for d in deletion["DTDTs"]] == [(gone[0], gone[3])]
    assert again.superseded == []  # the accepted file stays as it was


def test_receipts_set_statuses_and_say_what_to_do(bank: tuple[Path, Path], tmp_path: Path) -> None:
    db, reports = bank
    days = [dt.date(2026, 10, 8), dt.date(2026, 10, 16), dt.date(2026, 10, 21)]
    names = [write_large_value_submission(d, db, reports, today=TODAY).files[0] for d in days]
    ok, fix, bad = names
    key = sorted(hits(db, days[1]))[0]
    inbox = tmp_path / "receipts"
    put_receipt(inbox, "FDSC", ok, "SUCC", success(db, ok))
    fix_records = ledger(db).file(fix).records  # type: ignore[union-attr]
    put_receipt(
        inbox,
        "FDRC",
        fix,
        "RQCR",
        f'<FDSI><HTNM>{fix_records}</HTNM><ETTN>1</ETTN></FDSI><FCRCs><FCRC seqno="1">'
        f"<OCNM>{key[0]}</OCNM><OTDT>{key[1]}</OTDT><OTCD>{key[2]}</OTCD><OTIC>{key[3]}</OTIC>"
        '<FCERs><FCER seqno="1"><ERLC>TSIF/TRCD</ERLC><ERRS>交易发生地缺失</ERRS></FCER></FCERs>'
        "</FCRC></FCRCs>",
    )
    put_receipt(
        inbox,
        "FDCF",
        bad,
        "CTFL",
        '<ERTN>1</ERTN><FCERs><FCER seqno="1"><ERLC>HVTR/RBIF/RICD</ERLC>'
        "<ERRS>报告机构编码错误</ERRS></FCER></FCERs>",
    )
    put_receipt(inbox, "FDSC", f"NBH{RICD}-20200101-00000001", "SUCC")  # not ours
    (inbox / "FDSC[broken]1.XML").write_text("<FDBK>")
    reading, todo = read_receipts(inbox, db, TODAY)
    assert {r.name.message.stem: r.result for r in reading.recorded} == {
        ok: "accepted",
        fix: "correction requested",
        bad: "error",
    }
    assert reading.unmatched == [f"FDSC[NBH{RICD}-20200101-00000001]20261124093000.XML"]
    assert len(reading.unreadable) == 1
    what = {a.name: a.what for a in of_files(todo)}
    assert set(what) == {fix, bad}
    assert f"amlwatch correct --receipt-for {fix}" in what[fix] and "交易发生地缺失" in what[fix]
    assert "amlwatch submit --date 2026-10-21" in what[bad] and "报告机构编码错误" in what[bad]
    assert read_receipts(inbox, db, TODAY)[0].already_read  # reading twice changes nothing

    correction = correct_from_receipt(fix, db, reports)
    expected = "C" + fix[1:]  # a system correction keeps the new message's date and number
    assert correction.files == [expected]
    [xml] = (reports / "corrections").rglob(f"{expected}.XML")
    data = check(xml.read_bytes())
    assert [(t["OCNM"], t["OTIC"]) for t in data["TSDTs"]] == [(key[0], key[3])]
    put_receipt(inbox, "FDSC", expected, "SUCC")
    _, todo = read_receipts(inbox, db, TODAY)
    assert {a.name for a in of_files(todo)} == {bad}  # settled by the accepted correction
    record = ledger(db).file(fix)
    assert record is not None and record.status == "accepted"
    later = write_large_value_submission(dt.date(2026, 10, 26), db, reports, today=TODAY)
    # and the run summary says so, beside tonight's own file to upload
    assert {a.split(" ")[0] for a in later.actions if "[not filed]" not in a} == {
        bad,
        *later.files,
    }
    assert bad in submission_markdown(later)


def test_an_uploaded_file_is_corrected_never_superseded_or_sent_again(
    bank: tuple[Path, Path],
) -> None:
    from amlwatch.stages.uploads import mark_uploaded

    db, reports = bank
    day = dt.date(2026, 10, 19)
    folder = reports / day.isoformat() / "submission"
    first = write_large_value_submission(day, db, reports, today=TODAY)
    [uploaded] = mark_uploaded(first.packages, "liaison1", db)
    assert (uploaded.status, uploaded.uploaded_by) == ("uploaded", "liaison1")
    assert sorted(p.name for p in folder.glob("*.ZIP")) == []  # nothing left to upload
    assert (folder / "archive" / first.packages[0]).exists()
    again = write_large_value_submission(day, db, reports, today=TODAY)  # a re-run, no change
    assert (again.files, again.superseded) == ([], [])

    keys = sorted(hits(db, day))
    with Warehouse.open(db) as wh:  # the corrected input: one record gone, one changed
        wh.execute("DELETE FROM large_value_transactions WHERE txn_id = ?", [keys[0][3]])
        wh.execute(
            "UPDATE customer_history SET phone = '13900000000' WHERE customer_id = ?",
            [keys[-1][0]],
        )
    third = write_large_value_submission(day, db, reports, today=TODAY + dt.timedelta(1))
    assert third.superseded == [] and third.new_records == 0
    assert {MessageName.parse(n).family for n in third.files} == {"CBH", "DBH"}
    # to upload: exactly tonight's correction and deletion packages
    assert sorted(p.name for p in folder.glob("*.ZIP")) == sorted(third.packages)
    # across every file of the day, each business key was sent new once
    sent: list[tuple[str, str, str, str]] = []
    for path in folder.rglob("NBH*.XML"):
        sent += sorted(reported(path.read_bytes()))
    assert len(sent) == len(set(sent)) == len(keys)


def test_files_to_upload_are_listed_with_their_deadlines_overdue_first(
    bank: tuple[Path, Path],
) -> None:
    from amlwatch.rules import BusinessCalendar
    from amlwatch.stages.uploads import mark_uploaded, open_actions

    db, reports = bank
    days = [dt.date(2026, 10, 8), dt.date(2026, 10, 16), dt.date(2026, 10, 21)]
    names = {
        d: write_large_value_submission(d, db, reports, today=d + dt.timedelta(1)).files[0]
        for d in days
    }
    mark_uploaded([names[days[0]]], "approver1", db)
    today = dt.date(2026, 10, 26)  # a fixed "today"
    calendar = BusinessCalendar.load()
    expected = []
    for d in days[1:]:
        first = min(dt.datetime.strptime(k[1], "%Y%m%d").date() for k in hits(db, d))
        due = calendar.add_business_days(first, 5)
        expected.append((names[d], due, due < today))
    expected.sort(key=lambda e: (not e[2], e[1]))
    todo = of_files(open_actions(ledger(db), today, db=db))
    assert [(a.name, a.due, a.overdue) for a in todo] == expected
    assert any(overdue for *_, overdue in expected) and not all(o for *_, o in expected)
    assert all(a.what.startswith("上报 ") for a in todo)


def test_hits_no_file_carries_are_listed_to_be_filed_late(bank: tuple[Path, Path]) -> None:
    from amlwatch.stages.uploads import open_actions

    db, reports = bank
    with Warehouse.open(db, read_only=True) as wh:
        total = wh.scalar("SELECT count(*) FROM large_value_transactions")
    write_large_value_submission(DAY, db, reports, today=TODAY)
    todo = [a for a in open_actions(ledger(db), TODAY, db=db) if a.status == "not filed"]
    counts = {a.name: int(a.what.split(" ")[0]) for a in todo}
    assert sum(counts.values()) == total - len(hits(db, DAY)) > 0  # nothing missed
    assert f"run {DAY}" not in counts
    assert all(a.overdue and "补报" in a.what for a in todo)  # all past due by 11-23
    late = dt.date(2026, 10, 16)
    assert f"amlwatch submit --date {late}" in next(a.what for a in todo if a.name == f"run {late}")
    write_large_value_submission(late, db, reports, today=TODAY)  # filed late, same keys
    after = [a.name for a in open_actions(ledger(db), TODAY, db=db) if a.status == "not filed"]
    assert f"run {late}" not in after and len(after) == len(todo) - 1


def test_marking_uploaded_is_audited_and_only_for_written_files(bank: tuple[Path, Path]) -> None:
    from typer.testing import CliRunner

    from amlwatch.cli import app
    from amlwatch.models import Role
    from amlwatch.wiring import open_review

    db, reports = bank
    filing = write_large_value_submission(DAY, db, reports, today=TODAY)
    with open_review(db) as review:
        admin = review.bootstrap_admin("admin", "管理员", "Admin-Pass-2026!x")
        review.create_user(admin, "approver1", "王审批", Role.APPROVER, "Appr-Pass-2026!x")
        review.create_user(admin, "liaison1", "李联络", Role.LIAISON, "Liai-Pass-2026!x", ["B001"])
    runner = CliRunner()
    base = ["submissions", "mark-uploaded", filing.files[0], "--db", str(db)]
    for who in ([], ["--as", "liaison1"], ["--as", "nobody"]):  # a person of the app, approver
        refused = runner.invoke(app, [*base, *who])
        assert refused.exit_code == 2, refused.output
    args = [*base, "--as", "approver1"]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert "王审批（approver1）" in done.output and "北京时间" in done.output
    again = runner.invoke(app, args)  # already uploaded: refused, one line, exit 2
    assert again.exit_code == 2 and "only written files" in again.output
    unknown = runner.invoke(
        app, ["submissions", "mark-uploaded", "NBHX", "--as", "approver1", "--db", str(db)]
    )
    assert unknown.exit_code == 2 and "no such file" in unknown.output
    from amlwatch.cases.audit import entries

    store = case_store(db)
    [entry] = [e for e in entries(store, 50, None, "files uploaded", None)]
    assert entry.username == "approver1" and entry.detail["files"] == filing.files
    listing = runner.invoke(app, ["submissions", "--db", str(db)])
    assert "uploaded" in listing.output and "approver1" in listing.output
    store.close()


def test_a_receipt_that_disagrees_with_its_file_is_flagged(
    bank: tuple[Path, Path], tmp_path: Path
) -> None:
    db, reports = bank
    day = dt.date(2026, 10, 19)
    [name] = write_large_value_submission(day, db, reports, today=TODAY).files
    records = ledger(db).file(name).records  # type: ignore[union-attr]
    inbox = tmp_path / "receipts"
    put_receipt(
        inbox, "FDSC", name, "SUCC", f"<FDSI><CTTN>@N</CTTN><HTNM>{records - 1}</HTNM></FDSI>"
    )
    reading, todo = read_receipts(inbox, db, TODAY)
    assert [r.result for r in reading.recorded] == ["receipt mismatch"]
    [action] = [a for a in todo if a.name == name]
    assert f"HTNM {records - 1} ≠ {records}" in action.what
    record = ledger(db).file(name)
    assert record is not None and record.status == "receipt mismatch"
    # a correction request naming a record the file never held
    [other] = write_large_value_submission(DAY, db, reports, today=TODAY).files
    n = ledger(db).file(other).records  # type: ignore[union-attr]
    put_receipt(
        inbox,
        "FDRC",
        other,
        "RQCR",
        f'<FDSI><HTNM>{n}</HTNM></FDSI><FCRCs><FCRC seqno="1"><OCNM>C9</OCNM><OTDT>20261021</OTDT>'
        "<OTCD>0501</OTCD><OTIC>NOSUCH</OTIC></FCRC></FCRCs>",
    )
    reading, _ = read_receipts(inbox, db, TODAY)
    [flagged] = reading.recorded
    assert flagged.result == "receipt mismatch"
    assert "C9+20261021+0501+NOSUCH is not a record of the file" in flagged.detail["mismatch"]


def alert_ids(db: Path) -> list[str]:
    with Warehouse.open(db, read_only=True) as wh:
        return [r[0] for r in wh.rows("SELECT alert_id FROM suspicious_alerts ORDER BY 1")]


def file_reviewed(
    db: Path, reports: Path, alert_id: str, crime: tuple[str, ...] = ("1402",), urgency: str = "01"
) -> str:
    """File an alert's report as a reviewed case would be: a person's narrative, a filer."""
    with Warehouse.open(db, read_only=True) as wh:
        alert, txns = wh_submission.alert_submission_rows(wh, alert_id)
        assert alert is not None
        subjects = wh_submission.customers_by_id(wh, [alert["customer_id"]])
    reviewed = SuspiciousCase(
        "客户短期内多笔分散转入后集中转出。",
        "经核实，客户无合理经营背景。",
        (str(alert["rule_code"]),),
        crime,
        urgency,
    )
    folder = reports / "suspicious" / alert_id
    filing = file_suspicious_case(
        reviewed, subjects, txns, ledger(db), folder, alert_id, filer="王敏"
    )
    [name] = filing.files
    return name


def test_a_reviewed_alert_becomes_a_valid_suspicious_report(bank: tuple[Path, Path]) -> None:
    db, reports = bank
    alert_id = alert_ids(db)[0]
    name = file_reviewed(db, reports, alert_id, ("1201", "0801"), "02")
    assert MessageName.parse(name).family == "NBS"
    root, data, problems = validate(
        (reports / "suspicious" / alert_id / f"{name}.XML").read_bytes()
    )
    assert (root, problems) == ("BSTR", [])
    with Warehouse.open(db, read_only=True) as wh:
        evidence = wh.scalar(
            "SELECT count(*) FROM suspicious_alert_transactions WHERE alert_id = ?", [alert_id]
        )
        rule, customer = wh.rows(
            "SELECT rule_code, customer_id FROM suspicious_alerts WHERE alert_id = ?", [alert_id]
        )[0]
    basics = data["RBIF"]
    assert basics["STNM"] == str(evidence) and basics["SETN"] == "1"
    assert basics["STCRs"] == [rule] and basics["TOSCs"] == ["1201", "0801"]
    assert basics["DETR"] == "02" and basics["RPNM"] == "王敏"
    assert data["SEIFs"][0]["CSNM"] == customer


def test_report_alert_writes_a_draft_that_cannot_be_uploaded(bank: tuple[Path, Path]) -> None:
    db, reports = bank
    alert_id = alert_ids(db)[0]
    draft = write_suspicious_draft(alert_id, db, reports)
    xml, pdf, workbook = draft.files
    assert xml.name.startswith("草稿-不得报送-DRAFT") and pdf.suffix == ".pdf"
    from openpyxl import load_workbook

    assert load_workbook(workbook)["报告表"]["A2"].value == "草稿 — 未经审批，不得报送"
    with pytest.raises(UnknownFileName):
        MessageName.parse(xml.stem)  # no upload takes a file of that name
    _, data, problems = validate(xml.read_bytes())
    # what only a person can add is what the validator says is missing — nothing else
    assert {p.location for p in problems} == {"BSTR/RBIF/RPNM", "BSTR/RBIF/AOSP"}
    assert "系统生成初稿" in data["RBIF"]["AOSP"]
    assert ledger(db).files() == []  # no number taken, nothing recorded for upload
    assert {p.name for p in (reports / "suspicious").rglob("*")} == set()


def notice(folder: Path, stem: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.XML"
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n<MCVR>{body}</MCVR>', "utf-8")
    return path


def test_manual_correction_and_supplement_notices_are_answered(
    bank: tuple[Path, Path], tmp_path: Path
) -> None:
    db, reports = bank
    key = sorted(hits(db, DAY))[0]
    correction_notice = notice(
        tmp_path,
        f"ABH{RICD}-20261201-00000001",
        f"<BSIF><RICD>{RICD}</RICD><TMLM>20261210</TMLM><RQDS>请核实交易对手信息</RQDS>"
        '<RQNM>1</RQNM></BSIF><TSDTs><TSDT seqno="1">'
        f"<OCNM>{key[0]}</OCNM><OTDT>{key[1]}</OTDT><OTCD>{key[2]}</OTCD><OTIC>{key[3]}</OTIC>"
        '<ITEMS><ITEM seqno="1">TCNM</ITEM></ITEMS></TSDT></TSDTs>',
    )
    answer = answer_notice(correction_notice, db, reports)
    [name] = answer.files
    assert MessageName.parse(name).family == "CBH"
    [xml] = (reports / "notices").rglob(f"{name}.XML")
    data = check(xml.read_bytes())
    assert data["RBIF"]["MIRS"] == f"ABH{RICD}-20261201-00000001"
    assert data["TSDTs"][0]["OTIC"] == key[3]

    with Warehouse.open(db, read_only=True) as wh:
        id_type, id_number, count = wh.rows(
            """SELECT c.id_type, c.id_number, count(*) FROM transactions t
               JOIN customers c USING (customer_id) WHERE t.customer_id = ?
                AND t.trade_date BETWEEN '2026-10-01' AND '2026-10-21'
               GROUP BY 1, 2""",
            [key[0]],
        )[0]
    supplement = notice(
        tmp_path,
        f"SBT{RICD}-20261201-00000002",
        f"<BSIF><RICD>{RICD}</RICD><TMLM>20261210</TMLM><RQDS>补充交易</RQDS></BSIF>"
        f"<SPMT><BGDT>20261001</BGDT><EDDT>20261021</EDDT><CITP>{id_type}</CITP>"
        f"<CTID>{id_number}</CTID><CTAC>@N</CTAC></SPMT>",
    )
    answer = answer_notice(supplement, db, reports)
    [name] = answer.files
    [xml] = (reports / "notices").rglob(f"{name}.XML")
    data = check(xml.read_bytes())
    basics = data["RBIF"]
    assert basics["MIRS"] == f"SBT{RICD}-20261201-00000002" and basics["STNM"] == str(count)
    assert (basics["TPTR"], basics["OTPR"], basics["STCRs"]) == ("99", "信息补充通知应答", ["@N"])

    original = file_reviewed(db, reports, alert_ids(db)[0])
    about_report = notice(
        tmp_path,
        f"ABS{RICD}-20261202-00000001",
        f"<BSIF><RICD>{RICD}</RICD><TMLM>20261210</TMLM><RQDS>请补充疑点分析</RQDS>"
        f'<ORNM>{original}.XML</ORNM><RQNM>1</RQNM></BSIF><REPTs><REPT seqno="1"><TSNO>1</TSNO>'
        '<STDT>20261020</STDT><ITEMS><ITEM seqno="1">AOSP</ITEM></ITEMS></REPT></REPTs>',
    )
    answer = answer_notice(about_report, db, reports)
    assert answer.files == ["C" + original[1:]]  # the report's own date and number
    [xml] = (reports / "notices").rglob(f"C{original[1:]}.XML")
    assert check(xml.read_bytes())["RBIF"]["MIRS"] == f"ABS{RICD}-20261202-00000001"
    assert BSTR.tag == "BSTR"


def test_notices_are_tracked_to_their_deadline_until_answered(
    bank: tuple[Path, Path], tmp_path: Path
) -> None:
    db, reports = bank
    key = sorted(hits(db, DAY))[0]
    stem = f"ABH{RICD}-20261201-00000003"
    inbox = tmp_path / "receipts"
    notice(
        inbox,
        stem,
        f"<BSIF><RICD>{RICD}</RICD><TMLM>20261208</TMLM><RQDS>请核实交易对手信息</RQDS>"
        '<RQNM>1</RQNM></BSIF><TSDTs><TSDT seqno="1">'
        f"<OCNM>{key[0]}</OCNM><OTDT>{key[1]}</OTDT><OTCD>{key[2]}</OTCD><OTIC>{key[3]}</OTIC>"
        '<ITEMS><ITEM seqno="1">TCNM</ITEM></ITEMS></TSDT></TSDTs>',
    )
    reading, todo = read_receipts(inbox, db, today=dt.date(2026, 12, 7))
    assert reading.notices == [stem]
    [action] = [a for a in todo if a.name == stem]
    assert (action.status, action.due, action.overdue) == ("notice", dt.date(2026, 12, 8), False)
    assert "amlwatch answer --notice" in action.what
    reading, todo = read_receipts(inbox, db, today=dt.date(2026, 12, 9))
    assert reading.already_read == [f"{stem}.XML"]
    assert [a.overdue for a in todo if a.name == stem] == [True]  # past TMLM: overdue
    answer = answer_notice(inbox / f"{stem}.XML", db, reports)
    _, todo = read_receipts(inbox, db, today=dt.date(2026, 12, 9))
    assert stem not in {a.name for a in todo}  # answered: no longer an open item
    from amlwatch.cases import notices

    store = case_store(db)
    recorded = notices.get(store, stem)
    store.close()
    assert recorded is not None and recorded.answered_by == answer.files[0]


def test_an_attachment_package_keeps_within_the_data_package_and_its_names_apart() -> None:
    files = [("a.pdf", b"%PDF-1"), ("b.png", b"\x89PNG")]
    with zipfile.ZipFile(io.BytesIO(filing_module.attachment_package(files))) as zf:
        assert {n: zf.read(n) for n in zf.namelist()} == dict(files)
    with pytest.raises(ValueError, match="one name"):
        filing_module.attachment_package([("a.pdf", b"1"), ("a.pdf", b"2")])
    noise = os.urandom(filing_module.MAX_PACKAGE_BYTES - filing_module.MAX_SUSPICIOUS_XML)
    with pytest.raises(ValueError, match="over the 5 MB"):
        filing_module.attachment_package([("scan.tif", noise)])
