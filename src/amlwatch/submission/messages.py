"""Message content from amlwatch's data: the large-value new (HVTR), correction (CHTR) and
deletion (DHTR) messages, and the banking suspicious report (BSTR).

Builders take plain rows (dicts of warehouse columns) and return the nested data
`structure.to_xml` writes; every field is filled, `@N` where the bank's data has nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from typing import Any

from amlwatch.models import split_narrative  # noqa: F401  (re-exported)
from amlwatch.submission import codes
from amlwatch.submission.dictionary import NA
from amlwatch.submission.structure import Data

Row = Mapping[str, Any]

# the bank's channel words → OCTT (spec: 11 online, 12 POS, 13 phone, 14 hotkey, 15 ATM, 16 fax)
_CHANNELS = {
    "ONLINE": "11", "INTERNET": "11", "MOBILE": "11", "网银": "11", "网上": "11", "手机银行": "11",
    "POS": "12", "PHONE": "13", "电话": "13", "HOTKEY": "14", "ATM": "15", "FAX": "16",
    "传真": "16", "COUNTER": NA, "柜台": NA,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Institution:
    """Who files: the reporting institution code, the filing outlet, the filer, outlet codes."""

    code: str  # RICD, 14 characters
    reporting_branch: str  # RPNC
    filer: str = NA  # RPNM
    branches: Mapping[str, str] = field(default_factory=dict)  # bank branch code → FINC

    def outlet(self, branch: object) -> str:
        """The FINC of a bank branch code (the code itself when no mapping is configured)."""
        if branch is None or branch == "":
            return NA
        return self.branches.get(str(branch), str(branch))


def text(value: object) -> str:
    """A field's text: `@N` for nothing."""
    if value is None:
        return NA
    value = str(value).strip()
    return value or NA


def amount(value: object) -> str:
    """A decimal amount with at most 3 decimals (2 when it is whole fen)."""
    if value is None:
        return NA
    number = Decimal(str(value)).quantize(Decimal("0.001"))
    return f"{number:.2f}" if number == number.quantize(Decimal("0.01")) else f"{number:.3f}"


def moment(value: object) -> str:
    """yyyymmddhhmmss (a date alone gets `tttttt` for the unknown time)."""
    if value is None:
        return NA
    if isinstance(value, dt.datetime):
        return f"{value:%Y%m%d%H%M%S}"
    if isinstance(value, dt.date):
        return f"{value:%Y%m%d}tttttt"
    return text(value)


def day(value: dt.date) -> str:
    return f"{value:%Y%m%d}"


def _other(kind: object, other: object = None) -> str:
    """OITP / ORIT / OCIT: the document named only beside an 'other' type."""
    return text(other or "其他证件") if str(kind) in codes.OTHER_ID_TYPES else NA


def _card(row: Row) -> tuple[str, str]:
    card = row.get("card_type")
    if card is None or card == "":
        return NA, NA
    if str(card) == "90":
        return "90", "其他"  # "other" without saying which: the field must still say something
    return (str(card), NA) if str(card) in codes.CARD_TYPES else ("90", str(card))


def _channel(row: Row) -> tuple[str, str]:
    channel = row.get("channel")
    if channel is None or channel == "":
        return NA, NA  # a counter transaction
    code = _CHANNELS.get(str(channel).upper(), str(channel))
    return (code, NA) if code == NA or code in codes.CHANNELS else ("99", str(channel))


def _bank_code_type(row: Row) -> str:
    if row.get("counterparty_bank_code_type"):
        return text(row["counterparty_bank_code_type"])
    return "99" if row.get("counterparty_bank_code") else NA


def transaction_groups(row: Row, institution: Institution, large_value: bool) -> Data:
    """RINI, ATIF, TBIF, TSIF, TCIF and ROTFs of one transaction row."""
    card_type, other_card = _card(row)
    channel, other_channel = _channel(row)
    atif: Data = {
        "CATP": text(row.get("account_type")),
        "CTAC": text(row.get("account_id")),
        "OATM": moment(row.get("opened_at")),
    }
    if not large_value:
        atif["CATM"] = moment(row.get("closed_at"))
    atif |= {"CBCT": card_type, "OCBT": other_card, "CBCN": text(row.get("card_number"))}
    tsif: Data = {
        "TSTM": moment(row["booked_at"]),
        "TRCD": text(row.get("location")),
        "TICD": text(row["txn_id"]),
        "RPMT": text(row.get("match_no_type")),
        "RPMN": text(row.get("match_no")),
        "TSTP": text(row.get("tx_method")),
        "OCTT": channel,
        "OOCT": other_channel,
        "OCEC": text(row.get("device")),
        "BPTC": NA,
        "TSCT": text(row.get("foreign_receipt_code")),
        "TSDR": "01" if row["direction"] == "in" else "02",
    }
    if large_value:
        tsif |= {
            "CRPP": text(row.get("purpose")),
            "CRTP": text(row["currency"]),
            "CRAT": amount(row["amount"]),
            "CRMB": amount(row["amount_cny"]),
            "CUSD": amount(row["amount_usd"]),
        }
    else:
        tsif |= {
            "CRSP": text(row.get("purpose")),
            "CRTP": text(row["currency"]),
            "CRAT": amount(row["amount"]),
        }
    return {
        "RINI": {"FINC": institution.outlet(row.get("report_branch")), "RLFC": "00"},
        "ATIF": atif,
        "TBIF": {
            "TBNM": text(row.get("agent_name")),
            "TBIT": text(row.get("agent_id_type")),
            "OITP": _other(row.get("agent_id_type")),
            "TBID": text(row.get("agent_id_number")),
            "TBNT": text(row.get("agent_nationality")),
        },
        "TSIF": tsif,
        "TCIF": {
            "CFIN": text(row.get("counterparty_bank_name")),
            "CFCT": _bank_code_type(row),
            "CFIC": text(row.get("counterparty_bank_code")),
            "CFRC": text(row.get("counterparty_region")),
            "TCNM": text(row.get("counterparty_name")),
            "TCIT": text(row.get("counterparty_id_type")),
            "OITP": _other(row.get("counterparty_id_type")),
            "TCID": text(row.get("counterparty_id_number")),
            "TCAT": text(row.get("counterparty_account_type")),
            "TCAC": text(row.get("counterparty_account")),
        },
        "ROTFs": [NA],  # "暂填写 @N"
    }


def _list(value: object) -> list[str]:
    return [text(value)]


def large_value_new(institution: Institution, rows: Sequence[Row]) -> Data:
    """HVTR content: per customer and day (CATI), per characteristic (HTCR), per identity
    (CCIF), the transactions (TSDT). `rows` are hits in (customer, day, code) order."""
    catis = []
    by_day = groupby(rows, key=lambda r: (r["customer_id"], r["trade_date"]))
    for (_, trade_date), day_group in by_day:
        day_rows = list(day_group)
        first = day_rows[0]
        htcrs = []
        for code, code_group in groupby(day_rows, key=lambda r: r["characteristic_code"]):
            code_rows = list(code_group)
            htcrs.append(
                {
                    "CRCD": str(code),
                    "TTNM": str(len(code_rows)),
                    "CCIFs": [
                        {
                            "CTNM": text(first["customer_name"]),
                            "CITP": text(first["id_type"]),
                            "OITP": _other(first["id_type"]),
                            "CTID": text(first["id_number"]),
                            "TSDTs": [transaction_groups(r, institution, True) for r in code_rows],
                        }
                    ],
                }
            )
        catis.append(
            {
                "CBIF": {
                    "CSNM": text(first["customer_id"]),
                    "CTNTs": _list(first.get("nationality")),
                    "CTVC": text(first.get("occupation_or_industry")),
                    "CCIF": {
                        "CCTLs": _list(first.get("phone")),
                        "CATRs": _list(first.get("address")),
                        "CCEIs": _list(first.get("other_contact")),
                    },
                },
                "HTDT": day(trade_date),
                "HTCRs": htcrs,
            }
        )
    return {"RBIF": {"RICD": institution.code, "CTTN": str(len(catis))}, "CATIs": catis}


@dataclass(frozen=True, slots=True, order=True)
class LargeValueKey:
    """The business key of a reported large-value transaction (customer, day, code, id)."""

    customer: str
    day: str  # yyyymmdd
    code: str
    txn_id: str


def keys_of_new(data: Data) -> list[LargeValueKey]:
    """The business keys an HVTR message reports, in document order."""
    return [
        LargeValueKey(cati["CBIF"]["CSNM"], cati["HTDT"], htcr["CRCD"], tsdt["TSIF"]["TICD"])
        for cati in data["CATIs"]
        for htcr in cati["HTCRs"]
        for ccif in htcr["CCIFs"]
        for tsdt in ccif["TSDTs"]
    ]


def large_value_correction(institution: Institution, rows: Sequence[Row], notice: str = NA) -> Data:
    """CHTR content: each hit's original key and its transaction as it is now. `notice` is
    the manual-correction notice being answered (MIRS), if any."""
    txns = [
        {
            "OCNM": text(r["customer_id"]),
            "OTDT": day(r["trade_date"]),
            "OTCD": str(r["characteristic_code"]),
            "OTIC": text(r["txn_id"]),
            **transaction_groups(r, institution, True),
        }
        for r in rows
    ]
    return {
        "RBIF": {"RICD": institution.code, "TSTN": str(len(txns)), "MIRS": notice},
        "TSDTs": txns,
    }


def large_value_deletion(institution: Institution, keys: Iterable[LargeValueKey]) -> Data:
    """DHTR content deleting those reported transactions."""
    rows = [{"CSNM": k.customer, "HTDT": k.day, "CRCD": k.code, "TICD": k.txn_id} for k in keys]
    return {"RBIF": {"RICD": institution.code, "DTTN": str(len(rows))}, "DTDTs": rows}


def large_value_day_deletion(institution: Institution, trade_date: dt.date) -> Data:
    """DHTR content deleting every reported transaction of one day (spec §6.4 batch)."""
    row = {"CSNM": NA, "HTDT": day(trade_date), "CRCD": NA, "TICD": NA}
    return {"RBIF": {"RICD": institution.code, "DTTN": NA}, "DTDTs": [row]}


@dataclass(frozen=True, slots=True)
class SuspiciousCase:
    """What a suspicious report says beyond its rows: the liaison's and approver's part."""

    stcb: str  # 资金交易及客户行为情况
    aosp: str  # 疑点分析
    monitoring_codes: Sequence[str]  # STCR: the institution's own standards
    crime_types: Sequence[str] = ("1402",)  # TOSC, spec 10.6
    urgency: str = "01"  # DETR
    direction: str = "01"  # DORP
    trigger: str = "01"  # TPTR: model screening
    times: int = 1  # TORP
    first_report: str = NA  # ORXN when times > 1
    notice: str = NA  # MIRS


def suspicious_new(
    institution: Institution,
    case: SuspiciousCase,
    subjects: Sequence[Row],
    transactions: Sequence[Row],
) -> Data:
    """BSTR content: the report basics, one SEIF per subject (customer rows) and one STIF per
    transaction (rows of transactions joined with their customer and account)."""
    seifs = [
        {
            "CSNM": text(s["customer_id"]),
            "SEVC": text(s.get("occupation_or_industry")),
            "SIIFs": [
                {
                    "SENM": text(s["name"]),
                    "SETP": text(s["id_type"]),
                    "OITP": _other(s["id_type"]),
                    "SEID": text(s["id_number"]),
                }
            ],
            "STNTs": _list(s.get("nationality")),
            "SCIF": {
                "SCTLs": _list(s.get("phone")),
                "SEARs": _list(s.get("address")),
                "SEEIs": _list(s.get("other_contact")),
            },
            "SRIF": {
                "SRNM": text(s.get("legal_rep_name")),
                "SRIT": text(s.get("legal_rep_id_type")),
                "ORIT": _other(s.get("legal_rep_id_type")),
                "SRID": text(s.get("legal_rep_id_number")),
                "SCNM": text(s.get("controller_name")),
                "SCIT": text(s.get("controller_id_type")),
                "OCIT": _other(s.get("controller_id_type")),
                "SCID": text(s.get("controller_id_number")),
            },
        }
        for s in subjects
    ]
    stifs = []
    for t in transactions:
        groups = transaction_groups(t, institution, False)
        stifs.append(
            {
                "RINI": groups["RINI"],
                "CIIF": {
                    "CTNM": text(t["customer_name"]),
                    "CITP": text(t["id_type"]),
                    "OITP": _other(t["id_type"]),
                    "CTID": text(t["id_number"]),
                    "CSNM": text(t["customer_id"]),
                },
                **{k: groups[k] for k in ("ATIF", "TBIF", "TSIF", "TCIF", "ROTFs")},
            }
        )
    return {
        "RBIF": {
            "RICD": institution.code,
            "RPNC": institution.reporting_branch,
            "DETR": case.urgency,
            "TORP": str(case.times),
            "ORXN": case.first_report,
            "DORP": case.direction,
            "ODRP": NA,
            "TPTR": case.trigger,
            "OTPR": SUPPLEMENT_ANSWER if case.trigger == "99" else NA,
            "STCB": case.stcb,
            "AOSP": case.aosp,
            "TOSCs": list(case.crime_types),
            "STCRs": list(case.monitoring_codes),
            "SETN": str(len(seifs)),
            "STNM": str(len(stifs)),
            "RPNM": institution.filer,
            "MIRS": case.notice,
        },
        "SEIFs": seifs,
        "STIFs": stifs,
    }


SUPPLEMENT_ANSWER = "信息补充通知应答"


def supplement_case(notice: str) -> SuspiciousCase:
    """The report basics an answer to an information-supplement notice must carry (§7.3.3)."""
    return SuspiciousCase(
        stcb=SUPPLEMENT_ANSWER,
        aosp=SUPPLEMENT_ANSWER,
        monitoring_codes=(NA,),
        crime_types=(NA,),
        urgency="02",
        direction="01",
        trigger="99",
        notice=notice,
    )
