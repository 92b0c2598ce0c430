"""The outside fuzz campaign, owned by the suite: date folders damaged in every way seen
(hypothesis picks the damage, the file and where), each loaded by `amlwatch ingest` as an
operator runs it. Per case: exit 0 or 2, one line on failure, no traceback or "Exception
ignored" anywhere, no full account or ID number in any output; a load conserves its rows
(loaded + quarantined = in, per file) with quarantine lines inside the file; a rejection
leaves the date empty and is a `load_log` row.

`AMLWATCH_FUZZ_CASES` sets the number of cases (CI: 500; `make fuzz`: 5,000).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from amlwatch.cli import app
from amlwatch.warehouse import Warehouse
from tests.conftest import ACCOUNTS, CUSTOMERS, DAY, FX, txn, write_day

CASES = int(os.environ.get("AMLWATCH_FUZZ_CASES", "500"))
csv.field_size_limit(1 << 24)  # the damage reads what it damaged, long fields too
FILES = ("transactions.csv", "customers.csv", "accounts.csv", "fx_rates.csv")
SECRETS = {a["account_id"] for a in ACCOUNTS} | {c["id_number"] for c in CUSTOMERS}
ACCOUNT, ID_NUMBER = ACCOUNTS[0]["account_id"], CUSTOMERS[0]["id_number"]

Damage = Callable[[Path, st.DataObject], None]


def _bytes_edit(edit: Callable[[bytes, int, st.DataObject], bytes]) -> Damage:
    def damage(path: Path, data: st.DataObject) -> None:
        raw = path.read_bytes()
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)), label="at")
        path.write_bytes(edit(raw, at, data))

    return damage


def _lines_edit(edit: Callable[[list[str], st.DataObject], list[str]]) -> Damage:
    def damage(path: Path, data: st.DataObject) -> None:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        lines = text.split("\n")[:-1] or [""]
        out = "".join(f"{line}\n" for line in edit(lines, data))
        path.write_bytes(out.encode("utf-8", "surrogateescape"))

    return damage


def _field_edit(value: st.SearchStrategy[str]) -> Damage:
    def edit(lines: list[str], data: st.DataObject) -> list[str]:
        row = data.draw(st.integers(0, len(lines) - 1), label="row")
        try:
            fields = next(csv.reader([lines[row]]), None) or [""]  # a blank or CR-only "line"
        except csv.Error:  # a line an earlier damage broke (a lone CR): split it as it is
            fields = lines[row].split(",")
        col = data.draw(st.integers(0, len(fields) - 1), label="col")
        fields[col] = data.draw(value, label="value")
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(fields)
        return [*lines[:row], out.getvalue(), *lines[row + 1 :]]

    return _lines_edit(edit)


def _swap_columns(lines: list[str], data: st.DataObject) -> list[str]:
    row = data.draw(st.integers(1, len(lines) - 1), label="row") if len(lines) > 1 else 0
    fields = lines[row].split(",")
    i, j = data.draw(st.integers(0, len(fields) - 1)), data.draw(st.integers(0, len(fields) - 1))
    fields[i], fields[j] = fields[j], fields[i]
    return [*lines[:row], ",".join(fields), *lines[row + 1 :]]


def _to_parquet(path: Path, data: st.DataObject) -> None:
    try:  # pyarrow's own type guesses: integers, floats, timestamps, booleans
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return  # a CSV an earlier damage broke stays as it is: the load still sees it
    if data.draw(st.booleans(), label="cut"):
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        raw = buffer.getvalue()
        cut = data.draw(st.integers(0, len(raw) - 1), label="cut at")
        path.with_suffix(".parquet").write_bytes(raw[:cut])
    else:
        pq.write_table(table, path.with_suffix(".parquet"))
    path.unlink()


def _replace(path: Path, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["folder", "broken link", "loop", "gone", "empty"]))
    path.unlink()
    if kind == "folder":
        path.mkdir()
    elif kind == "broken link":
        path.symlink_to(path.with_name("nothing-here"))
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "empty":
        path.write_bytes(b"")


_ZONED = [
    "2026-11-20 10:00:00 UTC",
    "2026-11-20 10:00:00+08",
    "2026-11-20 10:00+08:00",
    "2026-11-20T10:00:00Z",
]

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
DAMAGES: dict[str, Damage] = {
    "truncate": _bytes_edit(lambda raw, at, d: raw[:at]),
    "insert bytes": _bytes_edit(lambda raw, at, d: raw[:at] + d.draw(st.binary(min_size=1, max_size=8)) + raw[at:]),
    "delete bytes": _bytes_edit(lambda raw, at, d: raw[:at] + raw[at + d.draw(st.integers(1, 30)) :]),
    "stray quote": _bytes_edit(lambda raw, at, d: raw[:at] + b'"' + raw[at:]),
    "lone CR": _bytes_edit(lambda raw, at, d: raw[:at] + b"\r" + raw[at:]),
    "NUL": _bytes_edit(lambda raw, at, d: raw[:at] + b"\x00" + raw[at:]),
    "GB18030 bytes": _bytes_edit(lambda raw, at, d: raw[:at] + "张".encode("gb18030") + raw[at:]),
    "invalid UTF-8": _bytes_edit(lambda raw, at, d: raw[:at] + b"\xff\xfe" + raw[at:]),
    "BOM": _bytes_edit(lambda raw, at, d: b"\xef\xbb\xbf" + raw),
    "CRLF": _bytes_edit(lambda raw, at, d: raw.replace(b"\n", b"\r\n")),
    "CR only": _bytes_edit(lambda raw, at, d: raw.replace(b"\n", b"\r")),
    "no header": _lines_edit(lambda lines, d: lines[1:]),
    "header only": _lines_edit(lambda lines, d: lines[:1]),
    "blank lines": _lines_edit(lambda lines, d: [*lines[:2], "", "", *lines[2:]]),
    "duplicate line": _lines_edit(lambda lines, d: [*lines, lines[-1]]),
    "duplicate header column": _lines_edit(lambda lines, d: [lines[0] + "," + lines[0].split(",")[0], *lines[1:]]),
    "extra field": _lines_edit(lambda lines, d: [*lines[:-1], lines[-1] + ",extra"]),
    "missing field": _lines_edit(lambda lines, d: [*lines[:-1], lines[-1].rsplit(",", 1)[0]]),
    "swapped columns": _lines_edit(_swap_columns),
    "random text": _field_edit(_TEXT),
    "identifier in a field": _field_edit(st.sampled_from([ACCOUNT, ID_NUMBER])),
    "time zone": _field_edit(st.sampled_from(_ZONED)),
    "exponent": _field_edit(st.sampled_from(["15e-4", "1e-4", "1E6", "-0", "1.23456"])),
    "far year": _field_edit(st.sampled_from(["2031-11-20 10:00:00", "1999-01-01 00:00:00", "20311120"])),
    "long field": _field_edit(st.just("x" * 200_000)),
    "parquet": _to_parquet,
    "replaced": _replace,
}  # fmt: skip


def _base(folder_root: Path) -> Path:
    rows = [
        txn(f"T{i}", amount=f"{i * 1000}.5", account_id=ACCOUNTS[i % 2]["account_id"])
        for i in range(12)
    ]
    return write_day(folder_root, DAY, rows, customers=CUSTOMERS, accounts=ACCOUNTS, fx=FX)  # fmt: skip


@settings(
    max_examples=CASES,
    deadline=None,
    derandomize=CASES <= 500,  # CI runs the same 500; `make fuzz` explores afresh
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    damages=st.lists(st.sampled_from(sorted(DAMAGES)), min_size=1, max_size=2),
    file=st.sampled_from(FILES),
    data=st.data(),
)
def test_damaged_folders_load_or_are_rejected_and_recorded(
    damages: list[str], file: str, data: st.DataObject
) -> None:
    root = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        folder = _base(root / "inbox")
        for name in damages:
            target = folder / file
            if not target.is_file() or target.is_symlink():
                break
            DAMAGES[name](target, data)
        db = root / "wh.duckdb"
        result = CliRunner().invoke(
            app, ["ingest", "--date", str(DAY), "--inbox", str(root / "inbox"), "--db", str(db)]
        )
        said = result.output
        outcome = "loaded" if result.exit_code == 0 else "rejected"
        event(f"{outcome}: {' + '.join(damages)} ({file})")
        assert result.exit_code in (0, 2), (damages, said[-3000:], result.exception)
        assert "Traceback" not in said and "Exception ignored" not in said, said[-3000:]
        assert not any(secret in said for secret in SECRETS), said[-3000:]
        if result.exit_code == 2:
            assert len([line for line in said.splitlines() if line.strip()]) == 1, said
        _check_state(db, folder, loaded=result.exit_code == 0)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _check_state(db: Path, folder: Path, loaded: bool) -> None:
    if not db.exists():
        assert not loaded
        return
    with Warehouse.open(db, read_only=True) as wh:
        statuses = [r[0] for r in wh.rows("SELECT status FROM load_log")]
        texts = " ".join(str(r) for r in wh.rows("SELECT reason FROM quarantine"))
        texts += " ".join(str(r) for r in wh.rows("SELECT error FROM load_log"))
        assert not any(secret in texts for secret in SECRETS), texts[-2000:]
        if not loaded:
            assert statuses == ["rejected"], statuses
            for table in ("transactions", "customer_history", "account_history", "quarantine"):
                assert wh.scalar(f"SELECT count(*) FROM {table}") == 0, table
            return
        assert statuses == ["loaded"]
        [(by_file,)] = wh.rows("SELECT rows_by_file FROM load_log")
        import json

        counts = json.loads(by_file)
        tables = {
            "transactions": "transactions",
            "customers": "customer_history",
            "accounts": "account_history",
            "fx_rates": "fx_rates",
        }
        for name, c in counts.items():
            assert c["loaded"] + c["quarantined"] == c["in"], (name, c)
            stored = wh.scalar(f"SELECT count(*) FROM {tables[Path(name).stem]}")
            assert stored == c["loaded"], (name, c, stored)
            held = wh.scalar("SELECT count(*) FROM quarantine WHERE file = ?", [name])
            assert held == c["quarantined"], (name, c, held)
            path = folder / name
            if path.suffix == ".csv":
                lines = path.read_bytes().count(b"\n") + path.read_bytes().count(b"\r") + 1
                top = wh.scalar("SELECT max(line) FROM quarantine WHERE file = ?", [name])
                assert top is None or 2 <= top <= lines, (name, top, lines)
            else:
                rows = pq.ParquetFile(path).metadata.num_rows
                assert c["in"] == rows, (name, c, rows)


def test_the_base_folder_loads_whole(tmp_path: Path) -> None:
    """The fuzz starts from a folder that loads with nothing quarantined (else it tests
    nothing)."""
    _base(tmp_path / "inbox")
    result = CliRunner().invoke(
        app,
        ["ingest", "--date", str(DAY), "--inbox", str(tmp_path / "inbox"), "--db", str(tmp_path / "w.duckdb")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with Warehouse.open(tmp_path / "w.duckdb", read_only=True) as wh:
        assert wh.scalar("SELECT count(*) FROM quarantine") == 0
        assert wh.scalar("SELECT count(*) FROM transactions") == 12
