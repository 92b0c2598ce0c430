"""What an outside fuzz and fault campaign found, as tests: every input found is read or
rejects the date (recorded), every value is parsed strictly or quarantined with its reason,
nothing echoed carries a full account or ID number, checks never look at later dates."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amlwatch.ingest import FileRejected, ingest_business_date
from amlwatch.warehouse import Warehouse
from tests.conftest import CUSTOMERS, DAY, txn, write_day

ACCOUNT = "6222000000000000011"
ID_NUMBER = CUSTOMERS[0]["id_number"]


def rejections(wh: Warehouse) -> list[tuple[Any, ...]]:
    return wh.rows("SELECT status, error, files FROM load_log WHERE status = 'rejected'")


def quarantined(wh: Warehouse) -> list[tuple[Any, ...]]:
    return wh.rows('SELECT file, line, "column", reason FROM quarantine ORDER BY file, line')


@pytest.mark.parametrize("damage", ["folder", "broken link", "link loop"])
@pytest.mark.parametrize("name", ["customers.csv", "accounts.csv", "fx_rates.csv"])
def test_an_optional_input_there_but_unreadable_rejects_the_date(
    warehouse: Warehouse, inbox: Path, name: str, damage: str
) -> None:
    write_day(inbox, DAY, [txn("T1")])
    ingest_business_date(warehouse, inbox, DAY)
    before = warehouse.rows("SELECT txn_id FROM transactions")
    path = inbox / DAY.isoformat() / name
    path.unlink()
    if damage == "folder":
        path.mkdir()
    elif damage == "broken link":
        path.symlink_to(path.with_name("gone.csv"))
    else:
        path.symlink_to(path)
    with pytest.raises(FileRejected) as caught:
        ingest_business_date(warehouse, inbox, DAY)
    assert caught.value.file == name
    [(_status, error, files)] = rejections(warehouse)
    assert name in error and ("folder" in error or "symbolic link" in error)
    assert '"sha256"' in files  # the files that were readable, with what was seen of them
    assert warehouse.rows("SELECT txn_id FROM transactions") == before  # the date as it was


def test_every_rejection_is_in_the_load_log(warehouse: Warehouse, inbox: Path) -> None:
    folder = write_day(inbox, DAY, [txn("T1")])
    (folder / "transactions.csv").rename(folder / "other.csv")
    with pytest.raises(Exception, match="no transactions"):
        ingest_business_date(warehouse, inbox, DAY)
    (folder / "other.csv").rename(folder / "transactions.csv")
    (folder / "customers.csv").write_text("customer_id,name\n", encoding="utf-8")
    pq.write_table(pa.table({"customer_id": ["C1"]}), folder / "customers.parquet")
    with pytest.raises(FileRejected, match="both as CSV and as Parquet"):
        ingest_business_date(warehouse, inbox, DAY)
    assert [row[0] for row in rejections(warehouse)] == ["rejected", "rejected"]


def test_a_file_changing_while_read_is_refused(warehouse: Warehouse, inbox: Path) -> None:
    folder = write_day(inbox, DAY, [txn("T1"), txn("T2")])
    path = folder / "transactions.csv"

    def still_written(*_: Any) -> None:  # the export job appends while the load reads
        with path.open("a", encoding="utf-8") as fh:
            fh.write(",".join(txn("T3").values()) + "\n")

    with pytest.raises(FileRejected, match="changed while it was read"):
        ingest_business_date(warehouse, inbox, DAY, [still_written])
    assert warehouse.scalar("SELECT count(*) FROM transactions") == 0
    assert len(rejections(warehouse)) == 1
    report = ingest_business_date(warehouse, inbox, DAY)  # once complete, it loads
    assert report.rows_loaded["transactions.csv"] == 3


@pytest.mark.parametrize(
    "booked_at",
    [
        "2026-11-20 10:00:00 UTC",
        "2026-11-20 10:00:00 CST",
        "2026-11-20 10:00:00-08",
        "2026-11-20 10:00:00+08",
        "2026-11-20 10:00:00+08:00:00",
        "2026-11-20 10:00+08",
        "2026-11-20T10:00:00Z",
    ],
)
def test_a_time_with_a_zone_is_refused_never_dropped(
    warehouse: Warehouse, inbox: Path, booked_at: str
) -> None:
    write_day(inbox, DAY, [txn("T1", booked_at=booked_at), txn("T2")])
    report = ingest_business_date(warehouse, inbox, DAY)
    assert report.rows_loaded["transactions.csv"] == 1
    [(_, line, column, reason)] = quarantined(warehouse)
    assert (line, column) == (2, "booked_at") and "no offset" in reason


@pytest.mark.parametrize("amount", ["15e-4", "1e-4", "1E3", "12.3456", "1,234.00", "0x10"])
def test_an_amount_is_plain_digits_with_at_most_three_decimals(
    warehouse: Warehouse, inbox: Path, amount: str
) -> None:
    write_day(inbox, DAY, [txn("T1", amount=amount), txn("T2", amount="12.340")])
    ingest_business_date(warehouse, inbox, DAY)
    [(_, line, column, _)] = quarantined(warehouse)
    assert (line, column) == (2, "amount")
    assert warehouse.rows("SELECT amount FROM transactions") == [(Decimal("12.340"),)]


def test_parquet_amounts_follow_the_csv_rule(warehouse: Warehouse, inbox: Path) -> None:
    folder = write_day(inbox, DAY, [txn("T0")])
    (folder / "transactions.csv").unlink()
    rows = [txn(f"T{i}") for i in range(1, 5)]
    table = pa.table({k: [r[k] for r in rows] for k in rows[0] if k != "amount"})
    decimals = pa.array(
        [Decimal("1234.56789"), Decimal("1234.56700"), Decimal("1.5"), Decimal("2")],
        pa.decimal128(22, 5),
    )
    pq.write_table(table.append_column("amount", decimals), folder / "transactions.parquet")
    ingest_business_date(warehouse, inbox, DAY)
    assert [(line, col) for _, line, col, _ in quarantined(warehouse)] == [(1, "amount")]
    floats = pa.array([1234.5678, 1234.56, 0.1 + 0.2, 7.0], pa.float64())
    pq.write_table(table.append_column("amount", floats), folder / "transactions.parquet")
    ingest_business_date(warehouse, inbox, DAY)
    assert [(line, col) for _, line, col, _ in quarantined(warehouse)] == [(1, "amount")]
    assert sorted(warehouse.rows("SELECT amount FROM transactions")) == [
        (Decimal("0.300"),),
        (Decimal("7.000"),),
        (Decimal("1234.560"),),
    ]


def test_a_file_cut_inside_its_last_line_rejects_the_date(
    warehouse: Warehouse, inbox: Path
) -> None:
    folder = write_day(inbox, DAY, [txn("T1"), txn("T2", amount="123456.78")])
    path = folder / "transactions.csv"
    path.write_bytes(path.read_bytes().rstrip(b"\r\n")[:-4])  # "…,12345" of 123456.78
    with pytest.raises(FileRejected, match="does not end with a line break"):
        ingest_business_date(warehouse, inbox, DAY)
    assert len(rejections(warehouse)) == 1


def test_a_quote_never_closed_is_one_quarantined_record_saying_so(
    warehouse: Warehouse, inbox: Path
) -> None:
    folder = write_day(inbox, DAY, [txn("T1"), txn("T2"), txn("T3")])
    path = folder / "transactions.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace("T2,", 'T2,"', 1)
    path.write_text("".join(lines), encoding="utf-8")
    ingest_business_date(warehouse, inbox, DAY)
    assert warehouse.rows("SELECT txn_id FROM transactions") == [("T1",)]
    [(_, line, _, reason)] = quarantined(warehouse)
    assert line == 3 and "lines 3-4 read as one record" in reason and "never closed" in reason


def test_a_quote_never_closed_in_the_last_field_is_not_loaded_as_text(
    warehouse: Warehouse, inbox: Path
) -> None:
    rows = [txn("T1", counterparty_name="A"), txn("T2", counterparty_name="B")]
    folder = write_day(inbox, DAY, rows)
    path = folder / "transactions.csv"
    path.write_bytes(path.read_bytes().rstrip(b"\r\n")[:-1] + b'"B\n')
    ingest_business_date(warehouse, inbox, DAY)
    assert warehouse.rows("SELECT txn_id FROM transactions") == [("T1",)]
    [(_, line, _, reason)] = quarantined(warehouse)
    assert line == 3 and "never closed" in reason


def test_rows_folded_into_a_field_of_the_right_count_are_not_one_row(
    warehouse: Warehouse, inbox: Path
) -> None:
    """A stray quote opened in the last field and closed three rows on gives a record with
    the header's field count: loading it would lose the rows inside it without a word."""
    rows = [txn(f"T{i}", counterparty_name=f"N{i}") for i in range(1, 7)]
    folder = write_day(inbox, DAY, rows)
    path = folder / "transactions.csv"
    text = path.read_text(encoding="utf-8").replace(",N2\n", ',"N2\n').replace(",N5\n", ',N5"\n')
    path.write_text(text, encoding="utf-8")
    ingest_business_date(warehouse, inbox, DAY)
    assert [r[0] for r in warehouse.rows("SELECT txn_id FROM transactions ORDER BY 1")] == [
        "T1",
        "T6",
    ]
    [(_, line, _, reason)] = quarantined(warehouse)
    assert line == 3 and "lines 3-6 read as one record" in reason and "row of its own" in reason


def test_a_quoted_field_over_two_lines_is_still_a_value(warehouse: Warehouse, inbox: Path) -> None:
    rows = [txn("T1", counterparty_name="北京市\n海淀区"), txn("T2", counterparty_name="B")]
    write_day(inbox, DAY, rows)
    ingest_business_date(warehouse, inbox, DAY)
    assert warehouse.scalar("SELECT count(*) FROM transactions") == 2
    assert quarantined(warehouse) == []


def test_a_quote_folding_the_rest_of_a_long_file_rejects_it(
    warehouse: Warehouse, inbox: Path
) -> None:
    folder = write_day(inbox, DAY, [txn(f"T{i}") for i in range(1, 1_100)])
    path = folder / "transactions.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace("T2,", 'T2,"', 1)
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(FileRejected, match="lines 3-1100 read as one record"):
        ingest_business_date(warehouse, inbox, DAY)
    assert len(rejections(warehouse)) == 1


def test_a_stray_quote_says_which_lines_it_folded(warehouse: Warehouse, inbox: Path) -> None:
    rows = [txn(f"T{i}") for i in range(1, 8)]
    rows[1]["counterparty_name"] = 'ab"c'
    rows[2]["counterparty_name"] = '"x'
    rows[5]["counterparty_name"] = 'y"'
    folder = write_day(inbox, DAY, rows)
    path = folder / "transactions.csv"
    text = path.read_text(encoding="utf-8").replace('"""x"', '"x').replace('"y"""', 'y",z')
    path.write_text(text, encoding="utf-8")
    ingest_business_date(warehouse, inbox, DAY)
    # lines 4-7 are one record, as a CSV reader reads them: said so
    [(_, line, _, reason)] = [q for q in quarantined(warehouse) if "runs over" in q[3]]
    assert line == 4 and "lines 4-7" in reason


def test_a_row_booked_outside_the_folders_days_is_quarantined(
    warehouse: Warehouse, inbox: Path
) -> None:
    rows = [
        txn("T1", booked_at="2031-11-20 10:00:00"),
        txn("T2", booked_at="2026-11-21 00:00:01"),
        txn("T3", booked_at="2026-10-19 10:00:00"),
        txn("T4", booked_at="2026-10-20 10:00:00", amount_usd="14"),  # 31 days: booked late
        txn("T5"),
    ]
    write_day(inbox, DAY, rows)
    ingest_business_date(warehouse, inbox, DAY)
    assert [(line, col) for _, line, col, _ in quarantined(warehouse)] == [
        (2, "booked_at"),
        (3, "booked_at"),
        (4, "booked_at"),
    ]
    assert "2026-11-20" in quarantined(warehouse)[0][3]


def test_checks_look_only_at_what_was_known_by_the_date(warehouse: Warehouse, inbox: Path) -> None:
    later = DAY + dt.timedelta(days=1)
    newcomer = {**CUSTOMERS[0], "customer_id": "C9", "id_number": "110101199001019999"}
    account = {"account_id": "6222000000000000099", "customer_id": "C9"}
    first = [txn("T1"), txn("T2", customer_id="C9", account_id=account["account_id"])]
    write_day(inbox, DAY, first)
    alone = ingest_business_date(warehouse, inbox, DAY)
    write_day(
        inbox,
        later,
        [txn("T3", booked_at=f"{later} 09:00:00")],
        customers=[*CUSTOMERS, newcomer],
        accounts=[account],
    )
    ingest_business_date(warehouse, inbox, later)
    again = ingest_business_date(warehouse, inbox, DAY)  # the past date, re-run
    counts = [
        (r.rows_loaded["transactions.csv"], r.rows_quarantined["transactions.csv"])
        for r in (alone, again)
    ]
    assert counts == [(1, 1), (1, 1)]


def test_no_echoed_value_carries_an_identifier(warehouse: Warehouse, inbox: Path) -> None:
    write_day(
        inbox,
        DAY,
        [txn("T1", direction=ACCOUNT), txn("T2", customer_id=ID_NUMBER)],
        customers=[{**CUSTOMERS[0], "customer_type": ID_NUMBER}],
    )
    report = ingest_business_date(warehouse, inbox, DAY)
    reasons = " ".join(q[3] for q in quarantined(warehouse))
    assert "****0011" in reasons and "****1237" in reasons
    assert ACCOUNT not in reasons and ID_NUMBER not in reasons
    assert ACCOUNT not in repr(report.sample_rejects[0].reason)
    # a file without its header: the first row is read as one, and not quoted whole
    folder = inbox / DAY.isoformat()
    path = folder / "customers.csv"
    path.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[1:]) + "\n")
    with pytest.raises(FileRejected) as caught:
        ingest_business_date(warehouse, inbox, DAY)
    assert ID_NUMBER not in str(caught.value) and "header" in str(caught.value)
    assert ID_NUMBER not in str(rejections(warehouse))


def test_line_numbers_stay_right_whatever_the_line_ends(warehouse: Warehouse, inbox: Path) -> None:
    rows = [txn("T1"), txn("T2", counterparty_name="a\rb"), txn("T3", amount="-1")]
    folder = write_day(inbox, DAY, rows)
    path = folder / "transactions.csv"
    path.write_bytes(path.read_bytes().replace(b"a\rb", b'"a\rb"'))  # a CR, quoted
    ingest_business_date(warehouse, inbox, DAY)
    assert [(line, col) for _, line, col, _ in quarantined(warehouse)] == [(4, "amount")]
    assert warehouse.scalar("SELECT counterparty_name FROM transactions WHERE txn_id = 'T2'") == (
        "a\rb"
    )
    path.write_bytes(path.read_bytes().replace(b'"a\rb"', b"a\rb"))  # not quoted: that row
    ingest_business_date(warehouse, inbox, DAY)
    assert [(line, col) for _, line, col, _ in quarantined(warehouse)] == [(3, None), (4, "amount")]
    # the refused record's text is kept (masked, the CR shown), not an empty raw
    raw = warehouse.scalar("SELECT raw FROM quarantine WHERE line = 3")
    assert raw.startswith("T2,") and "a␍b" in raw and "6222000000000000011" not in raw
    write_day(inbox, DAY, [txn("T1"), txn("T2"), txn("T3", amount="-1")])
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r").replace(b"\n", b"\r"))
    report = ingest_business_date(warehouse, inbox, DAY)  # old Mac line ends: they load
    assert report.rows_loaded["transactions.csv"] == 2
    assert [(line, col) for _, line, col, _ in quarantined(warehouse)] == [(4, "amount")]


def test_undecodable_bytes_are_placed_in_the_file(warehouse: Warehouse, inbox: Path) -> None:
    rows = [txn(f"T{i}", counterparty_name="x" * 200) for i in range(3000)]
    folder = write_day(inbox, DAY, rows)
    path = folder / "transactions.csv"
    data = path.read_bytes()
    at = data.index(b"T2500,")
    path.write_bytes(data[:at] + b"\xff\xfe\xff" + data[at:])
    with pytest.raises(FileRejected, match="not UTF-8 or GB18030") as caught:
        ingest_business_date(warehouse, inbox, DAY)
    line = data[:at].count(b"\n") + 1
    assert f"byte offset {at} (line {line})" in str(caught.value) or "line" in str(caught.value)


def test_a_damaged_parquet_keeps_its_cause(warehouse: Warehouse, inbox: Path) -> None:
    folder = write_day(inbox, DAY, [txn("T0")])
    (folder / "transactions.csv").unlink()
    rows = [txn("T1")]
    table = pa.table({k: [r[k] for r in rows] for k in rows[0] if k != "amount"})
    listed = table.append_column("amount", pa.array([[1, 2]], pa.list_(pa.int64())))
    pq.write_table(listed, folder / "transactions.parquet")
    report = ingest_business_date(warehouse, inbox, DAY)  # a list is judged by its text
    assert report.total_quarantined == 1
    [(_, line, column, reason)] = quarantined(warehouse)
    assert (line, column) == (1, "amount") and "'[1, 2]' is not a number" in reason
    path = folder / "transactions.parquet"
    path.write_bytes(path.read_bytes()[: os.path.getsize(path) // 2])
    with pytest.raises(FileRejected, match=r"transactions\.parquet") as caught:
        ingest_business_date(warehouse, inbox, DAY)
    assert "TransactionContext" not in str(caught.value)


def test_dictionary_encoded_parquet_strings_load(warehouse: Warehouse, inbox: Path) -> None:
    """Valid Parquet the contract takes: strings stored as a dictionary (as many writers do)."""
    folder = write_day(inbox, DAY, [txn("T0")])
    (folder / "transactions.csv").unlink()
    rows = [txn("T1", amount="12.5"), txn("T2", amount="100")]
    table = pa.table({k: pa.array([r[k] for r in rows]).dictionary_encode() for k in rows[0]})
    pq.write_table(table, folder / "transactions.parquet")
    assert pa.types.is_dictionary(
        pq.read_schema(folder / "transactions.parquet").field("amount").type
    )
    report = ingest_business_date(warehouse, inbox, DAY)
    assert report.total_quarantined == 0
    assert warehouse.rows("SELECT txn_id, amount FROM transactions ORDER BY 1") == [
        ("T1", Decimal("12.500")),
        ("T2", Decimal("100.000")),
    ]


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_column_without_a_name_is_kept_as_an_extra_column(
    warehouse: Warehouse, inbox: Path, blank: str
) -> None:
    """A trailing comma on every line (a spreadsheet's export): the contract keeps extra
    columns, so the date loads, the unnamed column kept by its position."""
    folder = write_day(inbox, DAY, [txn("T1"), txn("T2")])
    path = folder / "transactions.csv"
    head, *rows = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([f"{head},{blank}", *(f"{r},x" for r in rows)]) + "\n", "utf-8")
    ingest_business_date(warehouse, inbox, DAY)
    assert warehouse.rows("SELECT extra FROM transactions ORDER BY txn_id") == [
        ('{"column_10":"x"}',),
        ('{"column_10":"x"}',),
    ]


def test_a_control_character_in_the_header_is_named_not_a_library_error(
    warehouse: Warehouse, inbox: Path
) -> None:
    folder = write_day(inbox, DAY, [txn("T1")])
    path = folder / "transactions.csv"
    head, *rows = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([f"{head},\x00", *(f"{r},x" for r in rows)]) + "\n", "utf-8")
    with pytest.raises(FileRejected, match="column 10 of the header holds a control character"):
        ingest_business_date(warehouse, inbox, DAY)
    assert len(rejections(warehouse)) == 1
