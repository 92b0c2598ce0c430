"""The printed forms of the filings, built from the message content itself: the suspicious
transaction report (可疑交易报告表, from BSTR) and the large-value data report (人民币大额交易
数据报告, from HVTR). The same `Data` that `structure.to_xml` writes is turned into fields, so
the form a liaison signs says what the file says, field by field.

A field prints its value as people read it: a code beside its Chinese label (spec chapter 10
and the standards it names, `amlwatch.labels`), money with thousands separators, times as
yyyy-mm-dd hh:mm:ss in Beijing time; `@N` prints blank.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from amlwatch import labels
from amlwatch.labels import labelled
from amlwatch.printed import (
    Column,
    FormField,
    FormRow,
    PrintedForm,
    RowGroup,
    Section,
    SignLine,
    SummaryTable,
)
from amlwatch.submission.dictionary import FIELDS, NA
from amlwatch.submission.structure import Data

NOTES = (
    "时间为北京时间（UTC+8），格式 yyyy-mm-dd hh:mm:ss；日期格式 yyyy-mm-dd；“时间不详”为报文中的 tttttt。",
    "金额单位为交易币种的元，千位分隔，保留两位小数（不足一分时三位）。",
    "代码后为其中文名称；空白表示报文中填写替代符 @N（不适用或无法获取）。",
)

# the label table of each coded tag (amlwatch.labels kinds)
CODE_KINDS = labels.TAG_KINDS  # the spec's code fields and the tables that name them
LISTS = {"CTAR": "CATRs"}  # the one list whose name is not its leaf's tag + s
WIDE = frozenset({"STCB", "AOSP", "OTPR"})


def money(value: Decimal) -> str:
    """1234567.5 → 1,234,567.50 (three decimals only where the amount has them)."""
    places = 2 if value == value.quantize(Decimal("0.01")) else 3
    return f"{value:,.{places}f}"


def moment(value: str) -> str:
    """yyyymmddhhmmss → yyyy-mm-dd hh:mm:ss; an unknown time (tttttt) is said so."""
    day = f"{value[:4]}-{value[4:6]}-{value[6:8]}"
    clock = value[8:14]
    if clock == "tttttt":
        return f"{day} 时间不详"
    return f"{day} {clock[:2]}:{clock[2:4]}:{clock[4:6]}"


def printed(tag: str, value: Any, standards: Mapping[str, str] | None = None) -> FormField:
    """One message field as the form prints it."""
    spec = FIELDS[tag]
    values = [str(v) for v in (value if isinstance(value, list) else [value])]
    shown = [v for v in values if v not in ("", NA)]
    name = spec.name
    if not shown:
        return FormField(tag, name, "", wide=tag in WIDE)
    if spec.kind == "amount":
        number = Decimal(shown[0])
        return FormField(tag, name, money(number), amount=number)
    if spec.kind == "datetime":
        texts = [moment(v) for v in shown]
    elif spec.kind == "date":
        texts = [f"{v[:4]}-{v[4:6]}-{v[6:8]}" for v in shown]
    elif tag == "STCR":
        texts = [f"{v} {(standards or {}).get(v, '')}".strip() for v in shown]
    elif tag in CODE_KINDS:
        texts = [labelled(CODE_KINDS[tag], v) for v in shown]
    else:
        texts = shown
    return FormField(tag, name, "；".join(texts), wide=tag in WIDE)


def _fields(group: Data, tags: Iterable[str], standards: Mapping[str, str] | None = None) -> list:
    out = []
    for tag in tags:
        value = group.get(tag, group.get(LISTS.get(tag, f"{tag}s"), NA))
        out.append(printed(tag, value, standards))
    return out


def _row(groups: Mapping[str, Data]) -> FormRow:
    """A transaction's fields keyed GROUP.TAG (OITP appears in several groups)."""
    fields: dict[str, FormField] = {}
    for name, group in groups.items():
        for tag, value in group.items():
            key = tag.removesuffix("s") if tag.endswith("s") and tag[:-1] in FIELDS else tag
            fields[f"{name}.{key}"] = printed(key, value)
    return FormRow(fields)


def _transaction_groups(txn: Data) -> dict[str, Data]:
    groups: dict[str, Data] = {
        k: txn[k] for k in ("RINI", "CIIF", "ATIF", "TBIF", "TSIF", "TCIF") if k in txn
    }
    groups["ROTF"] = {"ROTF": txn.get("ROTFs", [NA])}
    return groups


_OTHER = (
    "TBIF.TBNM", "TBIF.TBIT", "TBIF.OITP", "TBIF.TBID", "TBIF.TBNT", "TSIF.OCTT", "TSIF.OOCT",
    "TSIF.OCEC", "TSIF.RPMT", "TSIF.RPMN", "TSIF.BPTC", "TSIF.TSCT", "ROTF.ROTF",
)  # fmt: skip


def _columns(large_value: bool) -> list[Column]:
    money_tags = ("TSIF.CRTP", "TSIF.CRAT") + (
        ("TSIF.CRMB", "TSIF.CUSD", "TSIF.CRPP") if large_value else ("TSIF.CRSP",)
    )
    customer = () if large_value else ("CIIF.CTNM", "CIIF.CITP", "CIIF.CTID", "CIIF.CSNM")
    account = ("ATIF.CATP", "ATIF.CTAC", "ATIF.OATM") + (() if large_value else ("ATIF.CATM",))
    columns = [
        Column("交易", ("TSIF.TSTM", "TSIF.TICD", "TSIF.TSDR", "TSIF.TSTP"), 36),
        Column("金额", money_tags, 24),
        *([Column("客户", customer, 28)] if customer else []),
        Column("账户", (*account, "ATIF.CBCT", "ATIF.OCBT", "ATIF.CBCN"), 28),
        Column("网点与地点", ("RINI.FINC", "RINI.RLFC", "TSIF.TRCD"), 26),
        Column("对方金融机构", ("TCIF.CFIN", "TCIF.CFCT", "TCIF.CFIC", "TCIF.CFRC"), 24),
        Column(
            "交易对手",
            ("TCIF.TCNM", "TCIF.TCIT", "TCIF.OITP", "TCIF.TCID", "TCIF.TCAT", "TCIF.TCAC"),
            30,
        ),
        Column("代办人与其他", _OTHER, 22),
    ]
    return columns


def files_field(files: Sequence[tuple[str, str]]) -> FormField:
    """The message files the form belongs to, with their SHA-256 (what the signature covers)."""
    text = "；".join(f"{name} {digest}" for name, digest in files)
    return FormField("-", "报文文件 SHA-256 校验值", text or "本次无报文文件", wide=True)


def _totals(
    rows: Sequence[FormRow], keys: Sequence[str], amounts: Sequence[str]
) -> list[list[str]]:
    """Rows counted and summed per combination of `keys` (printed texts)."""
    totals: dict[tuple[str, ...], list[Any]] = {}
    for row in rows:
        key = tuple(row.fields[k].text if k in row.fields else "" for k in keys)
        entry = totals.setdefault(key, [0, *(Decimal(0) for _ in amounts)])
        entry[0] += 1
        for i, k in enumerate(amounts, 1):
            entry[i] += row.fields[k].amount or Decimal(0)
    return [
        [*key, f"{n:,}", *(money(a) for a in sums)] for key, (n, *sums) in sorted(totals.items())
    ]


def suspicious_form(
    data: Data,
    *,
    institution: str,
    report_name: str,
    period: str,
    report_date: dt.date,
    signoff: Sequence[SignLine],
    standards: Mapping[str, str],
    draft: bool = False,
    files: Sequence[tuple[str, str]] = (),
) -> PrintedForm:
    """The 可疑交易报告表 of one BSTR message's content."""
    basics = data["RBIF"]
    head = (
        "RICD", "RPNC", "DETR", "TORP", "ORXN", "DORP", "ODRP", "TPTR", "OTPR",
        "TOSC", "STCR", "SETN", "STNM", "RPNM", "MIRS",
    )  # fmt: skip
    sections = [
        Section("一、报告基本信息", [*_fields(basics, head, standards), files_field(files)]),
        Section("资金交易及客户行为情况与疑点分析", _fields(basics, ("STCB", "AOSP"))),
    ]
    for i, seif in enumerate(data["SEIFs"], 1):
        fields = _fields(seif, ("CSNM", "SEVC"))
        for siif in seif["SIIFs"]:
            fields += _fields(siif, ("SENM", "SETP", "OITP", "SEID"))
        fields += _fields(seif, ("STNT",))
        fields += _fields(seif["SCIF"], ("SCTL", "SEAR", "SEEI"))
        fields += _fields(
            seif["SRIF"], ("SRNM", "SRIT", "ORIT", "SRID", "SCNM", "SCIT", "OCIT", "SCID")
        )
        sections.append(Section(f"二、可疑主体信息（第 {i} 个）", fields))
    rows = [_row(_transaction_groups(t)) for t in data["STIFs"]]
    return PrintedForm(
        title="可疑交易报告表",
        institution=institution,
        outlet=printed("RPNC", basics["RPNC"]).text,
        period=period,
        report_date=report_date,
        reference=report_name,
        sections=sections,
        table_title=f"三、可疑交易信息（共 {len(rows)} 笔）",
        columns=_columns(large_value=False),
        groups=[RowGroup([], rows)],
        signoff=list(signoff),
        notes=list(NOTES),
        draft=draft,
        summary=SummaryTable(
            "可疑交易汇总（按收付、币种）",
            ["资金收付标志", "交易币种", "笔数", "交易金额合计"],
            _totals(rows, ("TSIF.TSDR", "TSIF.CRTP"), ("TSIF.CRAT",)),
        ),
    )


def large_value_form(
    data: Data,
    *,
    institution: str,
    outlet: str,
    reference: str,
    period: str,
    report_date: dt.date,
    due: str,
    files: Sequence[tuple[str, str]] = (),
) -> PrintedForm:
    """The 人民币大额交易数据报告 of an HVTR message's content (a night's trade dates)."""
    groups = []
    for cati in data["CATIs"]:
        cbif = cati["CBIF"]
        for htcr in cati["HTCRs"]:
            for ccif in htcr["CCIFs"]:
                heading = [
                    *_fields(cbif, ("CSNM",)),
                    *_fields(ccif, ("CTNM", "CITP", "OITP", "CTID")),
                    *_fields(cbif, ("CTNT", "CTVC")),
                    *_fields(cbif["CCIF"], ("CCTL", "CTAR", "CCEI")),
                    printed("HTDT", cati["HTDT"]),
                    printed("CRCD", htcr["CRCD"]),
                    printed("TTNM", htcr["TTNM"]),
                ]
                rows = [_row(_transaction_groups(t)) for t in ccif["TSDTs"]]
                groups.append(RowGroup(heading, rows))
    basics = [
        printed("RICD", data["RBIF"]["RICD"]),
        printed("CTTN", data["RBIF"]["CTTN"]),
        FormField("-", "报告截止日（交易日后5个工作日）", due),
        files_field(files),
    ]
    n = sum(len(g.rows) for g in groups)
    return PrintedForm(
        title="人民币大额交易数据报告",
        institution=institution,
        outlet=outlet,
        period=period,
        report_date=report_date,
        reference=reference,
        sections=[Section("一、报告基本信息", basics)],
        table_title=f"二、大额交易信息（共 {n} 笔）",
        columns=_columns(large_value=True),
        groups=groups,
        signoff=[SignLine("填报人（反洗钱联络员）"), SignLine("复核人"), SignLine("总会计")],
        notes=list(NOTES),
        summary=SummaryTable(
            "大额交易汇总（按特征、网点、币种）",
            ["大额交易特征", "金融机构网点", "交易币种", "笔数", "折人民币合计", "折美元合计"],
            _totals(
                [
                    FormRow({**row.fields, "CRCD": crcd})
                    for group in groups
                    for crcd in [next(f for f in group.heading if f.tag == "CRCD")]
                    for row in group.rows
                ],
                ("CRCD", "RINI.FINC", "TSIF.CRTP"),
                ("TSIF.CRMB", "TSIF.CUSD"),
            ),
        ),
    )
