"""Listed parties planted in the synthetic bank: sanctions and watch lists (`lists/`) naming
some of its customers, their legal representatives and counterparties in the ways lists do,
a second version of the UN list that names one more customer, and parties the lists name
alike that are someone else. `lists/expected.jsonl` says what screening must find.

    lists/UN.xml              UN Security Council consolidated list (version 1)
    lists/CN-CT.csv           a domestic list (counter-terrorism designations)
    lists/INTERNAL.xlsx       the bank's own list (accounts)
    lists/later/UN.xml        the UN list with one more entry (a list change)

The file names are the list feed's (`AMLWATCH_LISTS_DIR`): the list code, then the format.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from amlwatch.screening import ListEntry, ListName, birth_date_of_resident_id
from amlwatch.screening.names import _char_readings, _opencc
from amlwatch.synth.lists import generated_entries, list_csv, un_list_xml


def _pinyin(name: str) -> str:
    syllables = [_char_readings(c, "pinyin")[0] for c in name]
    return syllables[0].upper() + " " + "".join(syllables[1:]).capitalize()


def write_lists(
    rng: np.random.Generator, out: Path, customers: pa.Table, day_rows: pa.Table
) -> int:
    """Write the lists and what screening must find in them; the number of planted parties."""
    folder = out / "lists"
    folder.mkdir(parents=True, exist_ok=True)
    rows = customers.to_pylist()
    people = [r for r in rows if r["customer_type"] == "individual" and r["id_type"] == "110001"]
    firms = [r for r in rows if r["customer_type"] == "entity" and r["legal_rep_name"]]
    chosen = rng.choice(len(people), 7, replace=False)
    person = [people[int(i)] for i in chosen]
    firm = firms[int(rng.integers(0, len(firms)))]
    expected: list[dict[str, Any]] = []

    def expect(kind: str, ref: str, list_code: str, entry: str, found: str, note: str) -> None:
        expected.append({"subject_kind": kind, "subject_ref": ref, "list_code": list_code,
                         "entry_ref": entry, "expect": found, "note": note})  # fmt: skip

    def born(r: dict[str, Any]) -> tuple[str, ...]:
        birth = birth_date_of_resident_id(str(r["id_number"]))
        return (birth,) if birth else ()

    un = generated_entries(rng, 0, 12, 4, prefix="QD")  # foreign parties nobody at the bank is
    un.append(ListEntry("QDi.901", "individual", (ListName(_pinyin(person[0]["name"])),),
                        birth_dates=born(person[0]), nationalities=("CHN",), program="QDi"))  # fmt: skip
    expect("customer", person[0]["customer_id"], "UN", "QDi.901", "hit", "拼音姓名、出生日期一致")
    un.append(
        ListEntry(
            "QDi.902", "individual", (ListName("某甲"),), id_numbers=(str(person[1]["id_number"]),)
        )
    )
    expect("customer", person[1]["customer_id"], "UN", "QDi.902", "hit", "仅证件号码一致")
    far = born(person[2])[0]
    un.append(ListEntry("QDi.903", "individual", (ListName(str(person[2]["name"])),),
                        birth_dates=(f"{int(far[:4]) - 25}{far[4:]}",), nationalities=("CHN",)))  # fmt: skip
    expect(
        "customer",
        person[2]["customer_id"],
        "UN",
        "QDi.903",
        "none",
        "同名但出生年份相差25年：他人",
    )
    (folder / "UN.xml").write_bytes(un_list_xml(un, "2026-09-30T00:00:00"))

    later = [*un, ListEntry("QDi.904", "individual", (ListName(_opencc("s2t").convert(str(person[3]["name"]))),),
                            birth_dates=born(person[3]), nationalities=("CHN",), program="QDi")]  # fmt: skip
    expect(
        "customer",
        person[3]["customer_id"],
        "UN",
        "QDi.904",
        "after_change",
        "名单第2版新增（繁体）",
    )
    (folder / "later").mkdir(exist_ok=True)
    (folder / "later" / "UN.xml").write_bytes(un_list_xml(later, "2026-10-20T00:00:00"))

    domestic = generated_entries(rng, 10, 0, 2, prefix="CT")
    domestic.append(ListEntry("CT-0901", "individual", (ListName(_opencc("s2t").convert(str(person[4]["name"]))),),
                              birth_dates=born(person[4]), nationalities=("CHN",), program="涉恐人员"))  # fmt: skip
    expect(
        "customer", person[4]["customer_id"], "CN-CT", "CT-0901", "hit", "繁体姓名、出生日期一致"
    )
    rep = str(firm["legal_rep_name"])
    rep_born = born({"id_number": firm["legal_rep_id_number"]})
    domestic.append(
        ListEntry(
            "CT-0902", "individual", (ListName(rep),), birth_dates=rep_born, program="涉恐人员"
        )
    )
    expect(
        "legal_rep",
        f"{firm['customer_id']}/legal_rep",
        "CN-CT",
        "CT-0902",
        "hit",
        "法定代表人在名单上",
    )
    parties = _counterparties(day_rows, 2, rng)
    name, account = parties[0]
    domestic.append(ListEntry("CT-0903", "entity", (ListName(name),), program="涉恐组织"))
    expect("counterparty", account, "CN-CT", "CT-0903", "hit", "交易对手名称一致")
    (folder / "CN-CT.csv").write_bytes(list_csv(domestic))

    name, account = parties[1]
    internal = [
        ListEntry(
            "IN-0001", "entity", (ListName("某涉案账户"),), accounts=(account,), program="涉案账户"
        )
    ]
    expect("counterparty", account, "INTERNAL", "IN-0001", "hit", "交易对手账号在本行内部名单")
    _write_xlsx(folder / "INTERNAL.xlsx", internal)
    with (folder / "expected.jsonl").open("w", encoding="utf-8") as f:
        for record in expected:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(expected)


def _counterparties(day_rows: pa.Table, n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """External counterparties (name, account) of the day's transactions, not customers."""
    seen: dict[str, str] = {}
    for name, account in zip(
        day_rows["counterparty_name"].to_pylist(),
        day_rows["counterparty_account"].to_pylist(),
        strict=True,
    ):
        if name and account and "公司" in name and name not in seen:
            seen[name] = account
    names = sorted(seen)
    picks = rng.choice(len(names), n, replace=False)
    return [(names[int(i)], seen[names[int(i)]]) for i in picks]


def _write_xlsx(path: Path, entries: list[ListEntry]) -> None:
    import csv
    import io

    import xlsxwriter

    rows = list(csv.reader(io.StringIO(list_csv(entries).decode("utf-8"))))
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": dt.datetime(2026, 10, 1)})  # the same seed, the same bytes
    sheet = book.add_worksheet("名单")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
