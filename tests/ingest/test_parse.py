"""Reading files: encodings detected, exact line numbers, files that cannot be read at all."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amlwatch.ingest import FileRejected
from amlwatch.ingest.parse import read_input
from amlwatch.ingest.schema import SPECS
from amlwatch.models import InputKind
from tests.conftest import CUSTOMERS, write_csv

REQUIRED = ["customer_id", "name", "customer_type", "id_type", "id_number"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_are_detected_and_read_alike(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "customers.csv", CUSTOMERS, encoding)
    parsed = read_input(path, InputKind.CUSTOMERS, REQUIRED)
    assert parsed.source.encoding == encoding
    assert parsed.table.column("name").to_pylist() == ["张三", "北京华信贸易有限公司"]
    assert parsed.table.column_names[0] == "customer_id"  # the BOM is not part of the name
    assert parsed.lines.tolist() == [2, 3]


def test_gb18030_detected_when_only_data_lines_are_not_utf8(tmp_path: Path) -> None:
    rows = [dict(CUSTOMERS[0], name="王" * 3)] * 1 + [dict(CUSTOMERS[1])]
    path = write_csv(tmp_path / "customers.csv", rows, "gb18030")
    parsed = read_input(path, InputKind.CUSTOMERS, REQUIRED)
    assert parsed.source.encoding == "gb18030"
    assert parsed.table.column("name").to_pylist()[0] == "王王王"


def test_parquet_rows_are_numbered_from_one(tmp_path: Path) -> None:
    path = tmp_path / "customers.parquet"
    pq.write_table(pa.Table.from_pylist(CUSTOMERS), path)
    parsed = read_input(path, InputKind.CUSTOMERS, REQUIRED)
    assert parsed.source.format == "parquet"
    assert parsed.lines.tolist() == [1, 2]


def test_quoted_newlines_and_blank_lines_keep_exact_line_numbers(tmp_path: Path) -> None:
    text = (
        "customer_id,name,customer_type,id_type,id_number\n"
        'C1,"张三\n（曾用名）",individual,110001,1\n'
        "\n"
        "C2,李四,individual,110001,2\n"
    )
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding="utf-8")
    parsed = read_input(path, InputKind.CUSTOMERS, REQUIRED)
    assert parsed.table.column("customer_id").to_pylist() == ["C1", "C2"]
    assert parsed.lines.tolist() == [2, 5]


def test_a_row_with_the_wrong_number_of_fields_is_rejected_alone(tmp_path: Path) -> None:
    text = (
        "customer_id,name,customer_type,id_type,id_number\n"
        "C1,张三,individual,110001,1\n"
        "C2,李四,individual\n"
        "C3,王五,individual,110001,3\n"
    )
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding="utf-8")
    parsed = read_input(path, InputKind.CUSTOMERS, REQUIRED)
    assert parsed.table.column("customer_id").to_pylist() == ["C1", "C3"]
    assert parsed.lines.tolist() == [2, 4]
    assert [(r.line, r.reason) for r in parsed.malformed] == [
        (3, "expected 5 fields as in the header, found 3")
    ]
    assert parsed.rows_in == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (
            b"customer_id,name\nC1,x\n",
            "required column(s) customer_type, id_type, id_number missing",
        ),
        (b"customer_id,customer_id,name,customer_type,id_type,id_number\n", "appears twice"),
        (
            b"\xff\xfe\x00\x81\x30\x00garbage\x00\n\x81\x30\x81\n",
            "header line is not readable text",
        ),
    ],
)
def test_unreadable_files_are_rejected_whole(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    with pytest.raises(FileRejected, match=re.escape(message)):
        read_input(path, InputKind.CUSTOMERS, REQUIRED)


def test_a_corrupt_parquet_file_is_rejected_whole(tmp_path: Path) -> None:
    path = tmp_path / "customers.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(FileRejected, match="not a readable Parquet file"):
        read_input(path, InputKind.CUSTOMERS, REQUIRED)


def test_fingerprint_is_the_sha256_of_the_file(tmp_path: Path) -> None:
    import hashlib

    path = write_csv(tmp_path / "customers.csv", CUSTOMERS)
    parsed = read_input(path, InputKind.CUSTOMERS, REQUIRED)
    assert parsed.source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert parsed.source.size_bytes == path.stat().st_size


@pytest.mark.parametrize(
    ("kind", "first_line"),
    [
        (InputKind.CUSTOMERS, "C1,张三,individual,110001,110101199001011237,北京市东城区1号"),
        (
            InputKind.TRANSACTIONS,
            "T1,2026-11-20 10:00:00,C1,6222000000000000011,in,100,CNY,false,false",
        ),
    ],
)
def test_a_file_without_its_header_says_so_and_echoes_no_personal_data(
    tmp_path: Path, kind: InputKind, first_line: str
) -> None:
    path = tmp_path / f"{kind}.csv"
    path.write_text(first_line + "\n" + first_line.replace("1", "2") + "\n", encoding="utf-8")
    required = [c.name for c in SPECS[kind] if c.required]
    with pytest.raises(FileRejected) as rejected:
        read_input(path, kind, required)
    message = str(rejected.value)
    assert "header row seems to be missing" in message and "表头行似乎缺失" in message
    for value in first_line.split(","):
        if len(value) > 3:
            assert value not in message, value


def test_a_quarantine_reason_reads_in_chinese_first() -> None:
    from amlwatch.reasons import quarantine_reason

    assert quarantine_reason("amount is missing") == "必填字段缺失 / amount is missing"
    assert quarantine_reason(
        "customer_id ****0001 is not a known customer (not in the customers file)"
    ).startswith("客户号不在客户资料中 / ")
    assert quarantine_reason("something new") == "something new"
