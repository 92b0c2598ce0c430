"""Writers, parser and validator of the banking messages: round trips, every validator rule
with a failing example, and generated records that must always validate."""

from __future__ import annotations

import copy
import datetime as dt
import re
import string
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlwatch.submission import codes
from amlwatch.submission.dictionary import NA
from amlwatch.submission.exceptions import InvalidMessage, UnknownFileName
from amlwatch.submission.messages import (
    LargeValueKey,
    SuspiciousCase,
    keys_of_new,
    large_value_correction,
    large_value_day_deletion,
    large_value_deletion,
    large_value_new,
    split_narrative,
    suspicious_new,
)
from amlwatch.submission.names import MessageName, NoticeName, ReceiptName
from amlwatch.submission.package import MAX_PACKAGE_BYTES, bins
from amlwatch.submission.structure import BSTR, CHTR, DHTR, HVTR, Data, from_xml, to_xml
from amlwatch.submission.validate import check, validate
from tests.submission.conftest import INSTITUTION, customer_row, hit_row

CASE = SuspiciousCase(
    stcb="客户在10个工作日内自12个交易对手分散转入资金…",
    aosp="疑似利用个人账户过渡资金",
    monitoring_codes=("AMLW-SP-0101",),
    crime_types=("1201",),
)


def hvtr() -> Data:
    rows = [
        hit_row(txn_id="T1"),
        hit_row(txn_id="T2", booked_at=dt.datetime(2026, 11, 20, 15, 0)),
        hit_row(txn_id="T3", characteristic_code="0503", direction="out", channel="ATM",
                tx_method="000131"),
        hit_row(txn_id="T4", trade_date=dt.date(2026, 11, 21),
                booked_at=dt.datetime(2026, 11, 21, 9, 30), currency="USD",
                amount=Decimal("10000"), tx_method="010001"),
        hit_row(txn_id="T5", customer_id="C2", customer_name="某某贸易有限公司", id_type="610099",
                id_number="91110105000000001Y", characteristic_code="0502", tx_method="000131"),
    ]  # fmt: skip
    return large_value_new(INSTITUTION, rows)


def bstr() -> Data:
    txns = [hit_row(txn_id=f"S{i}", closed_at=None) for i in range(3)]
    return suspicious_new(INSTITUTION, CASE, [customer_row()], txns)


def problems(template: Any, data: Data) -> list[str]:
    return [str(p) for p in validate(to_xml(template, data))[2]]


def test_the_large_value_message_groups_customer_day_characteristic_identity() -> None:
    data = hvtr()
    assert data["RBIF"] == {"RICD": "C0000000000001", "CTTN": "3"}
    first = data["CATIs"][0]
    assert (first["CBIF"]["CSNM"], first["HTDT"]) == ("C1", "20261120")
    assert [(h["CRCD"], h["TTNM"]) for h in first["HTCRs"]] == [("0501", "2"), ("0503", "1")]
    tsdt = first["HTCRs"][0]["CCIFs"][0]["TSDTs"][0]
    assert tsdt["TSIF"]["TSTM"] == "20261120100005"
    assert tsdt["TSIF"]["CRAT"] == "60000.00" and tsdt["TSIF"]["CUSD"] == "8450.704"
    assert tsdt["RINI"]["FINC"] == "C000000000000101"  # the configured outlet code
    assert tsdt["TCIF"]["CFCT"] == "99"  # a bank code without its type
    assert first["HTCRs"][1]["CCIFs"][0]["TSDTs"][0]["TSIF"]["OCTT"] == "15"  # ATM
    assert keys_of_new(data)[0] == LargeValueKey("C1", "20261120", "0501", "T1")


@pytest.mark.parametrize(("template", "build"), [(HVTR, hvtr), (BSTR, bstr)])
def test_write_then_parse_gives_the_same_content_and_no_problem(
    template: Any, build: Callable[[], Data]
) -> None:
    data = build()
    xml = to_xml(template, data)
    assert xml.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    back, structural = from_xml(template, xml)
    assert back == data and structural == []
    assert check(xml) == data


def test_correction_and_deletion_messages_validate() -> None:
    correction = large_value_correction(
        INSTITUTION, [hit_row(), hit_row(txn_id="T2")], "ABHC0000000000001-20261201-00000001"
    )
    assert correction["RBIF"]["TSTN"] == "2" and correction["TSDTs"][0]["OTIC"] == "T1"
    assert check(to_xml(CHTR, correction)) == correction
    deletion = large_value_deletion(INSTITUTION, [LargeValueKey("C1", "20261120", "0501", "T1")])
    assert check(to_xml(DHTR, deletion)) == deletion
    batch = large_value_day_deletion(INSTITUTION, dt.date(2018, 10, 12))
    assert batch["RBIF"]["DTTN"] == NA and check(to_xml(DHTR, batch)) == batch


def test_a_narrative_splits_into_stcb_and_aosp() -> None:
    stcb, aosp = split_narrative("【资金交易及客户行为情况】甲转入乙。【疑点分析】快进快出。")
    assert (stcb, aosp) == ("甲转入乙。", "快进快出。")


def _tsdt(data: Data) -> Data:
    return data["CATIs"][0]["HTCRs"][0]["CCIFs"][0]["TSDTs"][0]


def _set(path: str, value: Any) -> Callable[[Data], None]:
    """Set the field at a path (`TSDT/…` is the first large-value transaction)."""

    def mutate(data: Data) -> None:
        *parents, leaf = path.split("/")
        target: Any = data
        if parents and parents[0] == "TSDT":
            target, parents = _tsdt(data), parents[1:]
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[leaf] = value

    return mutate


def _twice(data: Data) -> None:
    ccif = data["CATIs"][0]["HTCRs"][0]["CCIFs"][0]
    ccif["TSDTs"][1]["TSIF"]["TICD"] = ccif["TSDTs"][0]["TSIF"]["TICD"]


HVTR_RULES = [
    ("empty field", _set("TSDT/TSIF/TRCD", ""), "TSIF/TRCD", "empty"),
    ("@N in a key field", _set("TSDT/TSIF/TICD", NA), "TSIF/TICD", "must not be @N"),
    ("too long", _set("TSDT/TCIF/TCNM", "名" * 129), "TCIF/TCNM", "longer than 128"),
    ("not a count", _set("RBIF/CTTN", "3a"), "RBIF/CTTN", "whole number"),
    ("four decimals", _set("TSDT/TSIF/CRAT", "1.2345"), "TSIF/CRAT", "at most 3 decimals"),
    ("bad date", _set("CATIs/0/HTDT", "20261131"), "HTDT", "yyyymmdd"),
    ("bad time", _set("TSDT/TSIF/TSTM", "20261120250000"), "TSIF/TSTM", "yyyymmddhhmmss"),
    ("id type code", _set("CATIs/0/HTCRs/0/CCIFs/0/CITP", "110002"), "CITP", "10.1"),
    ("account type", _set("TSDT/ATIF/CATP", "1200011"), "ATIF/CATP", "10.2"),
    ("method code", _set("TSDT/TSIF/TSTP", "000099"), "TSIF/TSTP", "10.3"),
    ("place code", _set("TSDT/TCIF/CFRC", "USA110101"), "TCIF/CFRC", "not a valid code"),
    ("currency", _set("TSDT/TSIF/CRTP", "RMB"), "TSIF/CRTP", "12406"),
    ("country", _set("CATIs/0/CBIF/CTNTs", ["ZZZ"]), "CTNT[1]", "2659"),
    ("characteristic", _set("CATIs/0/HTCRs/0/CRCD", "0301"), "CRCD", "0501–0504"),
    ("direction", _set("TSDT/TSIF/TSDR", "03"), "TSIF/TSDR", "TSDR"),
    (
        "other id type missing",
        _set("CATIs/0/HTCRs/0/CCIFs/0/CITP", "119999"),
        "OITP",
        "'other' type",
    ),
    ("other id type given", _set("TSDT/TBIF/OITP", "军官证"), "TBIF/OITP", "'other' type"),
    ("other card type", _set("TSDT/ATIF/CBCT", "90"), "ATIF/OCBT", "CBCT is 90"),
    ("other channel", _set("TSDT/TSIF/OCTT", "99"), "TSIF/OOCT", "OCTT is 99"),
    ("customer total", _set("RBIF/CTTN", "2"), "RBIF/CTTN", "total does not match"),
    ("transaction total", _set("CATIs/0/HTCRs/0/TTNM", "5"), "TTNM", "total does not match"),
    ("business key twice", _twice, "HVTR/CATIs", "CSNM+HTDT+CRCD+TICD"),
    ("empty list", _set("CATIs/0/CBIF/CCIF/CCTLs", []), "CCTLs", "empty"),
    ("institution code", _set("RBIF/RICD", "C00000001"), "RBIF/RICD", "14 letters or digits"),
    # spec chapters 9–10 and the cross-field rules (issue 17's review)
    ("time on another day", _set("TSDT/TSIF/TSTM", "20261121100005"), "TSIF/TSTM", "not on the record's date"),
    ("hour 25 with unknown seconds", _set("TSDT/TSIF/TSTM", "202611202500tt"), "TSIF/TSTM", "yyyymmddhhmmss"),
    ("month 13 with an unknown day", _set("CATIs/0/HTDT", "202613tt"), "HTDT", "yyyymmdd"),
    ("province, not county", _set("TSDT/TCIF/CFRC", "CHN110000"), "TCIF/CFRC", "not a valid code"),
    ("city, not county", _set("TSDT/TSIF/TRCD", "CHN110100"), "TSIF/TRCD", "not a valid code"),
    ("17-character resident ID", _set("CATIs/0/HTCRs/0/CCIFs/0/CTID", "11010119900101123"), "CCIF[1]/CTID", "18 characters"),
    ("resident ID check", _set("CATIs/0/HTCRs/0/CCIFs/0/CTID", "110101199001011234"), "CCIF[1]/CTID", "check character"),
    ("resident ID birth date", _set("CATIs/0/HTCRs/0/CCIFs/0/CTID", "110101199013011230"), "CCIF[1]/CTID", "birth date"),
    ("credit code check", _set("CATIs/2/HTCRs/0/CCIFs/0/CTID", "91110105000000001X"), "CCIF[1]/CTID", "check character"),
    ("counterparty ID vs type", lambda d: (_set("TSDT/TCIF/TCIT", "110001")(d), _set("TSDT/TCIF/TCID", "1234")(d)), "TCIF/TCID", "18 characters"),
    ("CRMB differs from CRAT in CNY", _set("TSDT/TSIF/CRMB", "59999.99"), "TSIF/CRMB", "CRMB ≠ CRAT"),
    ("TSCT not numeric", _set("TSDT/TSIF/TSCT", "12A"), "TSIF/TSCT", "digits"),
    ("no customer", lambda d: d.update(CATIs=[], RBIF={**d["RBIF"], "CTTN": "0"}), "HVTR/CATIs", "at least one customer"),
    ("characteristic without transactions", _set("CATIs/0/HTCRs/0/CCIFs/0/TSDTs", []), "HTCR[1]", "no TSDT"),
    ("blank name", _set("CATIs/0/HTCRs/0/CCIFs/0/CTNM", "   "), "CTNM", "blank"),
    ("padded identifier", _set("TSDT/TSIF/TICD", " T1"), "TSIF/TICD", "padded"),
    ("0501 with a non-cash method", _set("TSDT/TSIF/TSTP", "000131"), "TSIF/TSTP", "大额特征 0501"),
    ("CNY with a foreign-currency method", _set("TSDT/TSIF/TSTP", "010104"), "TSIF/TSTP", "币种 CNY"),
    ("transfer with a cash method", _set("CATIs/0/HTCRs/1/CCIFs/0/TSDTs/0/TSIF/TSTP", "000030"), "TSIF/TSTP", "大额特征 0503"),
]  # fmt: skip


BSTR_RULES = [
    ("subject total", _set("RBIF/SETN", "2"), "RBIF/SETN", "total does not match"),
    ("transaction total", _set("RBIF/STNM", "9"), "RBIF/STNM", "total does not match"),
    ("urgency", _set("RBIF/DETR", "03"), "RBIF/DETR", "DETR"),
    ("other direction", _set("RBIF/DORP", "99"), "RBIF/ODRP", "DORP is 99"),
    ("other trigger", _set("RBIF/TPTR", "99"), "RBIF/OTPR", "TPTR is 99"),
    ("follow-up without first report", _set("RBIF/TORP", "2"), "RBIF/ORXN", "ORXN vs TORP"),
    ("times out of range", _set("RBIF/TORP", "10000"), "RBIF/TORP", "1–9999"),
    ("crime code", _set("RBIF/TOSCs", ["9999"]), "TOSC[1]", "10.6"),
    ("standards @N", _set("RBIF/STCRs", [NA]), "STCRs", "信息补充通知应答除外"),
    ("legal rep other type", _set("SEIFs/0/SRIF/SRIT", "129999"), "SRIF/ORIT", "'other' type"),
    ("subject name @N", _set("SEIFs/0/SIIFs/0/SENM", NA), "SENM", "must not be @N"),
    ("narrative too long", _set("RBIF/AOSP", "疑" * 10001), "RBIF/AOSP", "longer than 10000"),
    ("phone format", _set("SEIFs/0/SCIF/SCTLs", ["138-0000"]), "SCTL[1]", "mobile or area-fixed"),
    ("a party who is no subject", _set("STIFs/0/CIIF/CSNM", "C999"), "CIIF/CSNM", "not one of the report's subjects"),
    ("subject ID vs type", _set("SEIFs/0/SIIFs/0/SEID", "110101199001011234"), "SIIF[1]/SEID", "check character"),
    ("party ID vs type", _set("STIFs/0/CIIF/CTID", "1101011990"), "CIIF/CTID", "18 characters"),
    ("no filer", _set("RBIF/RPNM", NA), "RBIF/RPNM", "须填写填报人员"),
    ("continuing report naming a file", lambda d: d["RBIF"].update(TORP="2", ORXN="NBSC0000000000001-20261120-00000001.XML"), "RBIF/ORXN", "不加扩展名"),
    ("continuing report naming a large-value file", lambda d: d["RBIF"].update(TORP="2", ORXN="NBHC0000000000001-20261120-00000001"), "RBIF/ORXN", "初次报送的可疑交易报告"),
    ("the draft's analysis", _set("RBIF/AOSP", "疑似过渡资金，需进一步核实。"), "RBIF/AOSP", "仍含系统初稿标记"),
    ("the draft's marker", _set("RBIF/STCB", "（系统生成初稿，监测标准0101）"), "RBIF/STCB", "须经人工修改"),
]  # fmt: skip


RULES = [(HVTR, hvtr, *r) for r in HVTR_RULES] + [(BSTR, bstr, *r) for r in BSTR_RULES]


@pytest.mark.parametrize(
    ("template", "build", "what", "mutate", "where", "why"), RULES, ids=[r[2] for r in RULES]
)
def test_each_validator_rule_rejects_its_counterexample(
    template: Any,
    build: Callable[[], Data],
    what: str,
    mutate: Callable[[Data], None],
    where: str,
    why: str,
) -> None:
    data = copy.deepcopy(build())
    mutate(data)
    found = problems(template, data)
    assert any(where in p and why in p for p in found), found
    with pytest.raises(InvalidMessage, match=re.escape(why)):
        check(to_xml(template, data), what)


def test_deletion_rules() -> None:
    batch = large_value_day_deletion(INSTITUTION, dt.date(2018, 10, 12))
    batch["RBIF"]["DTTN"] = "1"
    assert any("batch deletion" in p for p in problems(DHTR, batch))
    half = large_value_day_deletion(INSTITUTION, dt.date(2018, 10, 12))
    half["DTDTs"][0]["TICD"] = "T1"
    assert any("客户号为 @N" in p for p in problems(DHTR, half))


def test_structure_problems_are_found() -> None:
    xml = to_xml(HVTR, hvtr()).decode()
    assert any(
        "seqno" in str(p) for p in validate(xml.replace('seqno="2"', 'seqno="7"', 1).encode())[2]
    )
    assert any(
        "missing ['CUSD']" in str(p)
        for p in validate(xml.replace("<CUSD>8450.704</CUSD>", "", 1).encode())[2]
    )
    assert any(
        "unexpected ['XTRA']" in str(p)
        for p in validate(xml.replace("</RBIF>", "<XTRA>1</XTRA></RBIF>", 1).encode())[2]
    )
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n'
    assert "not well-formed" in str(validate(head + b"<HVTR><RBIF></HVTR>")[2][0])
    assert "unknown message" in str(validate(head + b"<FOO/>")[2][0])
    nested = xml.replace("<TICD>T1</TICD>", "<TICD><X>T1</X></TICD>", 1).encode()
    assert any("text expected" in str(p) and "TSIF/TICD" in p.location for p in validate(nested)[2])


def test_the_declaration_and_the_encoding_are_checked_never_crashed_on() -> None:
    xml = to_xml(HVTR, hvtr())
    body = xml.split(b"?>", 1)[1]
    assert any("declaration" in str(p) for p in validate(body)[2])  # no XML declaration
    assert any("byte-order mark" in str(p) for p in validate(b"\xef\xbb\xbf" + xml)[2])
    gbk = xml.decode("utf-8").replace('encoding="utf-8"', 'encoding="GBK"').encode("gbk")
    root, _, found = validate(gbk)  # reported, not raised
    assert root == "?" and any("declaration" in str(p) for p in found)
    latin = xml.replace(b"CNY", "\u00e9".encode("latin-1"), 1)  # bytes that are not UTF-8
    assert any("not UTF-8" in str(p) for p in validate(latin)[2])


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("NBHC000000000000-20261120-00000001.XML", "not a message file name"),  # 13 characters
        ("NBHC0000000000001-20261131-00000001.XML", "not a message file name"),  # no such day
        ("nbhc0000000000001-20261120-00000001.xml", "the name must be"),
        ("DBHC0000000000001-20261120-00000001.XML", "holds DHTR, not HVTR"),
        ("NBSC0000000000001-20261120-00000001.XML", "holds BSTR, not HVTR"),
        ("NBHC0000000000002-20261120-00000001.XML", "institution"),
    ],
)
def test_the_file_name_fits_the_content(name: str, why: str) -> None:
    xml = to_xml(HVTR, hvtr())
    assert validate(xml, "NBHC0000000000001-20261120-00000001.XML")[2] == []
    found = [str(p) for p in validate(xml, name)[2]]
    assert any(why in p for p in found), found


def test_file_names_follow_the_spec() -> None:
    name = MessageName("N", "BH", "C0000000000001", dt.date(2018, 7, 1), 10)
    assert name.xml == "NBHC0000000000001-20180701-00000010.XML"
    assert MessageName.parse("NBHC0000000000001‐20180701‐00000010.XML") == name  # spec's hyphen
    assert MessageName.parse(name.zip) == name and len(name.stem) == 35
    receipt = ReceiptName.parse("FDSC[NBHC0000000000001-20180920-00000001]20180920124530.XML")
    assert receipt.kind == "FDSC" and receipt.landed_at == dt.datetime(2018, 9, 20, 12, 45, 30)
    assert NoticeName.parse("SBTC0000000000001-20190301-00000002.XML").report == "BT"
    for bad in ("NBHC000000000001-20180701-00000010", "XBHC0000000000001-20180701-00000010",
                "NBHC0000000000001-20181301-00000010"):  # fmt: skip
        with pytest.raises(UnknownFileName):
            MessageName.parse(bad)
    with pytest.raises(UnknownFileName):
        MessageName("D", "BS", "C0000000000001", dt.date(2018, 7, 1), 1)  # no suspicious deletion


def test_packages_never_exceed_five_megabytes() -> None:
    sizes = [1_900_000, 1_900_000, 1_900_000, 600_000, 4_999_000, 10]
    groups = bins(sizes)
    assert [i for g in groups for i in g] == list(range(len(sizes)))  # order kept, none lost
    assert all(sum(sizes[i] for i in g) <= MAX_PACKAGE_BYTES for g in groups)
    assert len(groups) == 3
    with pytest.raises(ValueError, match="alone"):
        bins([MAX_PACKAGE_BYTES + 1])


# ---- generated records: whatever the bank's data holds (within the code lists), the file
# the writer makes is one the validator accepts

_text = st.text(
    alphabet=string.ascii_letters + string.digits + "张三李四公司&<>\"' -", min_size=1, max_size=40
)
_maybe = st.none() | _text


@st.composite
def hit_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for i in range(draw(st.integers(1, 12))):
        customer = draw(st.sampled_from(["C1", "C2", "C3"]))
        moment = dt.datetime(
            2026,
            11,
            draw(st.integers(18, 20)),
            draw(st.integers(0, 23)),
            draw(st.integers(0, 59)),
            draw(st.integers(0, 59)),
        )
        amount = Decimal(draw(st.integers(0, 10**12))) / 1000
        characteristic = draw(st.sampled_from(sorted(codes.LARGE_VALUE_CHARACTERISTICS)))
        currency = draw(st.sampled_from(["CNY", "USD", "EUR", "JPY"]))
        # the bank's method, as a valid record has it: cash for 0501, RMB methods for CNY
        method = {
            (True, True): "000030", (True, False): "010001",
            (False, True): "000131", (False, False): "010104",
        }[(characteristic == "0501", currency == "CNY")]  # fmt: skip
        id_type = draw(st.sampled_from(sorted(codes.ID_TYPES)))
        id_number = {"110001": "110101199001011237", "110003": "11010519491231002X",
                     "610099": "91350100M000100Y43"}.get(id_type, f"X{i}0001")  # fmt: skip
        rows.append(
            hit_row(
                txn_id=f"T{i}",
                customer_id=customer,
                customer_name=f"客户{customer}",
                booked_at=moment,
                trade_date=moment.date(),
                characteristic_code=characteristic,
                direction=draw(st.sampled_from(["in", "out"])),
                amount=amount,
                amount_cny=amount,
                amount_usd=amount / 7,
                currency=currency,
                tx_method=method,
                id_type=id_type,
                id_number=id_number,
                account_type=draw(st.none() | st.sampled_from(sorted(codes.ACCOUNT_TYPES))),
                card_type=draw(st.none() | st.sampled_from(["10", "20", "30", "90", "联名卡"])),
                channel=draw(st.none() | st.sampled_from(["POS", "ATM", "网银", "11", "kiosk"])),
                counterparty_name=draw(_maybe),
                counterparty_id_type=draw(st.none() | st.sampled_from(sorted(codes.ID_TYPES))),
                purpose=draw(_maybe),
                opened_at=draw(st.none() | st.just(dt.date(2020, 1, 2))),
                agent_name=draw(_maybe),
                agent_id_type=draw(st.none() | st.sampled_from(["110001", "129999"])),
                nationality=draw(st.none() | st.sampled_from(["CHN", "USA", "HKG"])),
                phone=draw(_maybe),
            )
        )
    rows.sort(key=lambda r: (r["customer_id"], r["trade_date"], r["characteristic_code"]))
    return rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hit_rows())
def test_generated_records_always_validate_and_round_trip(rows: list[dict[str, Any]]) -> None:
    data = large_value_new(INSTITUTION, rows)
    xml = to_xml(HVTR, data)
    assert check(xml) == data
    assert len(keys_of_new(data)) == len(rows)
    correction = large_value_correction(INSTITUTION, rows)
    assert check(to_xml(CHTR, correction)) == correction
    subjects = [customer_row(customer_id=c) for c in sorted({r["customer_id"] for r in rows})]
    report = suspicious_new(INSTITUTION, CASE, subjects, rows)
    assert check(to_xml(BSTR, report)) == report
