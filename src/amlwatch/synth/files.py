"""The synthetic bank's files: a day's rows as the export's table, the deliberately corrupted
rows of the corrupt days, customers' address changes, and the files written in the inbox's
formats and encodings, with the ground truth beside them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from amlwatch.synth.activity import (
    CHANNEL_CODES,
    CURRENCIES,
    EXEMPTIONS,
    INITIATORS,
    METHODS,
    PURPOSES,
    Rows,
)
from amlwatch.synth.cases import PlantedCase, Planter
from amlwatch.synth.population import Population

_CORRUPTIONS = (
    ("amount", "negative amount", lambda v: "-" + v),
    ("currency", "RMB instead of CNY", lambda v: "RMB"),
    ("booked_at", "impossible time", lambda v: v[:11] + "25:61:00"),
    ("direction", "unknown direction", lambda v: "both"),
    ("account_id", "account not on file", lambda v: "6222999999999999999"),
    ("customer_id", "customer not on file", lambda v: "C999999999"),
    ("is_cash", "not a boolean", lambda v: "maybe"),
    ("amount", "missing amount", lambda v: ""),
)


def to_table(rows: Rows, pop: Population, day: dt.date) -> tuple[pa.Table, dict[int, str]]:
    order = np.argsort(rows.ts, kind="stable")
    rows = rows.take(order)
    n = len(rows)
    numbers = pa.array(np.arange(1, n + 1, dtype=np.int64)).cast(pa.string())
    txn_id = pc.binary_join_element_wise(f"T{day:%Y%m%d}", pc.utf8_lpad(numbers, 9, "0"), "")
    units = pa.array(rows.fen // 100).cast(pa.string())
    cents = pc.utf8_lpad(pa.array(rows.fen % 100).cast(pa.string()), 2, "0")
    cp = pop.counterparties.take(pa.array(rows.cp))
    vocab = lambda values, idx: pc.take(pa.array(values), pa.array(idx))  # noqa: E731
    table = pa.table(
        {
            "txn_id": txn_id,
            "booked_at": pa.array(rows.ts.astype("datetime64[s]")),
            "customer_id": pc.take(pop.customers["customer_id"], pa.array(rows.cust)),
            "account_id": pc.take(pop.accounts["account_id"], pa.array(rows.acct)),
            "direction": vocab(["in", "out"], rows.out.astype(np.int64)),
            "amount": pc.binary_join_element_wise(units, cents, "."),
            "currency": vocab(CURRENCIES, rows.currency),
            "is_cash": pa.array(rows.cash),
            "is_cross_border": pa.array(rows.xb),
            "tx_method": vocab(METHODS, rows.method),
            "counterparty_name": cp["name"],
            "counterparty_account": cp["account"],
            "counterparty_bank_name": cp["bank_name"],
            "counterparty_bank_code": cp["bank_code"],
            "counterparty_region": cp["region"],
            "counterparty_is_government": cp["is_government"],
            "exemption_code": vocab(EXEMPTIONS, rows.exempt),
            "counter_currency": vocab(["", *CURRENCIES], rows.counter),
            "initiated_by": vocab(INITIATORS, rows.initiator),
            "branch_code": pc.take(pop.customers["branch_code"], pa.array(rows.cust)),
            "channel": vocab(CHANNEL_CODES, rows.channel),
            "purpose": vocab(PURPOSES, rows.purpose),
        }
    )
    planted = np.flatnonzero(rows.tag >= 0)
    ids = txn_id.take(pa.array(planted)).to_pylist()
    return table, dict(zip(rows.tag[planted].tolist(), ids, strict=True))


def corrupt(rng: np.random.Generator, table: pa.Table, planter: Planter, day: dt.date) -> pa.Table:
    """Append corrupted copies of a few rows (new ids), and one exact duplicate."""
    text = pa.table(
        {
            name: pc.cast(col, pa.string())
            for name, col in zip(table.column_names, table.columns, strict=True)
        }
    )
    picks = rng.choice(table.num_rows, len(_CORRUPTIONS), replace=False)
    bad = text.take(pa.array(picks)).to_pylist()
    for k, ((column, what, broken), row) in enumerate(zip(_CORRUPTIONS, bad, strict=True)):
        row["txn_id"] = f"X{day:%Y%m%d}{k:04d}"
        row[column] = broken(row[column])
        planter.cases.append(
            PlantedCase(
                f"bad_input-{row['txn_id']}",
                "bad_input",
                "quarantine",
                -1,
                what,
                column=column,
                txn_ids=[row["txn_id"]],
            )
        )
    duplicate = text.take(pa.array([int(picks[0])])).to_pylist()
    planter.cases.append(
        PlantedCase(
            f"bad_input-dup-{day:%Y%m%d}",
            "bad_input",
            "quarantine",
            -1,
            "exact duplicate of an earlier line",
            column="txn_id",
            txn_ids=[duplicate[0]["txn_id"]],
        )
    )
    extra = pa.Table.from_pylist(bad + duplicate, schema=text.schema)
    return pa.concat_tables([text, extra])


def address_changes(rng: np.random.Generator, pop: Population, day: dt.date) -> pa.Table:
    k = max(1, pop.customers.num_rows // 100)
    pick = np.sort(rng.choice(pop.customers.num_rows - len(pop.reserved), k, replace=False))
    changed = pop.customers.take(pa.array(pick))
    address = pc.binary_join_element_wise(changed["address"], f"（{day:%Y年%m月}迁入新址）", "")
    return changed.set_column(changed.schema.get_field_index("address"), "address", address)


def write_table(table: pa.Table, stem: Path, style: str) -> None:
    if style == "parquet":  # money as decimals
        for name in ("amount", "declared_income_cny", "registered_capital_cny"):
            if name in table.column_names and pa.types.is_string(table.schema.field(name).type):
                table = table.set_column(
                    table.schema.get_field_index(name),
                    name,
                    pc.cast(table[name], pa.decimal128(20, 2)),
                )
        pq.write_table(table, stem.with_suffix(".parquet"))
        return
    path = stem.with_suffix(".csv")
    if style == "utf-8":
        pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
        return
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
    data = sink.getvalue().to_pybytes()
    path.write_bytes(
        b"\xef\xbb\xbf" + data if style == "utf-8-sig" else data.decode("utf-8").encode("gb18030")
    )


def write_ground_truth(
    out: Path, cases: list[PlantedCase], pop: Population, tag_to_txn: dict[int, str]
) -> None:
    customer_ids = pop.customers["customer_id"].to_pylist()
    with (out / "ground_truth.jsonl").open("w", encoding="utf-8") as fh:
        for case in cases:
            record: dict[str, Any] = {
                "case_id": case.case_id,
                "kind": case.kind,
                "expect": case.expect,
                "customer_id": customer_ids[case.customer] if case.customer >= 0 else None,
                "note": case.note,
                "txn_ids": case.txn_ids + [tag_to_txn[t] for t in case.tags],
                "window": None
                if case.window is None
                else [case.window[0].isoformat(), case.window[1].isoformat()],
            }
            if case.standards:
                record["standards"] = case.standards
            if case.members:
                record["members"] = [customer_ids[c] for c in case.members]
            if case.risk_level:
                record["risk_level"] = case.risk_level
            if case.kind == "bad_input":
                record["column"] = case.column
            else:
                record["large_value"] = [
                    {
                        "characteristic_code": e["characteristic_code"],
                        "trade_date": e["trade_date"].isoformat(),
                        "direction": e["direction"],
                        "txn_ids": [tag_to_txn[t] for t in e["tags"]],
                    }
                    for e in case.large_value
                ]
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
