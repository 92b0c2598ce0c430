"""The validator: every field against the data dictionary, the structure against the
message's template, and the rules across fields (totals, conditional fields, the large-value
business key). Writers call it before a file exists; it never lets an invalid file out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from amlwatch.models import DRAFT_MARKERS
from amlwatch.submission import codes
from amlwatch.submission.dictionary import NA, problems_of
from amlwatch.submission.exceptions import InvalidMessage, UnknownFileName
from amlwatch.submission.names import MessageName
from amlwatch.submission.structure import (
    HVTR,
    MESSAGES,
    Data,
    Problem,
    encoding_problems,
    from_xml,
    leaves,
)

# a batch deletion names a date and leaves the rest as @N (spec §6.4)
_NA_ALLOWED = {"DHTR": frozenset({"CSNM", "CRCD", "TICD", "DTTN"})}
# (type field, the "other type" field beside it, in the same group)
_OTHER_TYPE = [("CITP", "OITP"), ("TBIT", "OITP"), ("TCIT", "OITP"), ("SETP", "OITP"),
               ("SRIT", "ORIT"), ("SCIT", "OCIT")]  # fmt: skip
# (field, value that makes the companion mandatory, companion)
_COMPANION = [("CBCT", "90", "OCBT"), ("OCTT", "99", "OOCT"), ("DORP", "99", "ODRP"),
              ("TPTR", "99", "OTPR")]  # fmt: skip


def validate(xml: bytes, name: str | None = None) -> tuple[str, Data, list[Problem]]:
    """Check one message (and, given its file name, that the name fits it); returns its root
    tag, its content and every problem found. Never raises on a bad file: a wrong encoding,
    a missing declaration or broken XML is a problem like any other."""
    early = encoding_problems(xml)
    if early:
        return "?", {}, early + (_name_problems(name, "?", {}) if name else [])
    root = _root_tag(xml)
    if root == "?":
        return root, {}, from_xml(HVTR, xml)[1]  # the parser's message says what is broken
    template = MESSAGES.get(root)
    if template is None:
        known = ", ".join(MESSAGES)
        return root, {}, [Problem("/", f"未知报文 {root!r}（应为 {known}）/ unknown message")]
    data, problems = from_xml(template, xml)
    if not data:
        return root, data, problems
    allowed = _NA_ALLOWED.get(root, frozenset())
    for location, tag, value in leaves(template, data):
        for reason in problems_of(tag, value):
            if value == NA and tag in allowed:
                continue
            problems.append(Problem(location, reason))
    problems.extend(_rules(root, data))
    if name is not None:
        problems.extend(_name_problems(name, root, data))
    return root, data, problems


def check(xml: bytes, name: str = "message") -> Data:
    """The message's content, or InvalidMessage listing every problem."""
    _, data, problems = validate(xml)
    if problems:
        raise InvalidMessage(name, problems)
    return data


def _root_tag(xml: bytes) -> str:
    import xml.etree.ElementTree as ET

    try:
        return ET.fromstring(xml).tag
    except (ET.ParseError, ValueError, LookupError):
        return "?"


def _rules(root: str, data: Data) -> Iterator[Problem]:
    rbif = data.get("RBIF", {})
    if root == "HVTR":
        yield from _large_value_new(data)
    elif root == "CHTR":
        txns = data.get("TSDTs", [])
        yield from _total("CHTR/RBIF/TSTN", rbif.get("TSTN"), len(txns))
        keys = [(t["OCNM"], t["OTDT"], t["OTCD"], t["OTIC"]) for t in txns]
        yield from _unique("CHTR/TSDTs", keys, "原业务主键 OCNM+OTDT+OTCD+OTIC")
        for i, txn in enumerate(txns, 1):
            yield from _conditionals(f"CHTR/TSDTs/TSDT[{i}]", txn)
            yield from _transaction(f"CHTR/TSDTs/TSDT[{i}]", txn, txn.get("OTDT"), txn.get("OTCD"))
    elif root == "DHTR":
        rows = data.get("DTDTs", [])
        batch = any(NA in (r["CSNM"], r["CRCD"], r["TICD"]) for r in rows)
        if batch and rbif.get("DTTN") != NA:
            yield Problem("DHTR/RBIF/DTTN", "批量删除时应填 @N / must be @N for a batch deletion")
        if not batch:
            yield from _total("DHTR/RBIF/DTTN", rbif.get("DTTN"), len(rows))
        for i, row in enumerate(rows, 1):
            # a batch narrows from the day: customer, then characteristic, then one record
            if (row["CSNM"] == NA and (row["CRCD"], row["TICD"]) != (NA, NA)) or (
                row["CRCD"] == NA and row["TICD"] != NA
            ):
                yield Problem(
                    f"DHTR/DTDTs/DTDT[{i}]",
                    "客户号为 @N 时特征代码和业务标识号也须为 @N；特征代码为 @N 时业务标识号须为 @N",
                )
        keys = [(r["CSNM"], r["HTDT"], r["CRCD"], r["TICD"]) for r in rows]
        yield from _unique("DHTR/DTDTs", keys, "业务主键 CSNM+HTDT+CRCD+TICD")
    elif root == "BSTR":
        yield from _suspicious(data)


def _large_value_new(data: Data) -> Iterator[Problem]:
    catis = data.get("CATIs", [])
    yield from _total("HVTR/RBIF/CTTN", data.get("RBIF", {}).get("CTTN"), len(catis))
    if not catis:
        yield Problem(
            "HVTR/CATIs", "报文至少应有一个 CATI / a message reports at least one customer"
        )
    keys: list[tuple[Any, ...]] = []
    days = Counter((c.get("CBIF", {}).get("CSNM"), c.get("HTDT")) for c in catis)
    for (customer, day), n in days.items():
        if n > 1:
            yield Problem(
                "HVTR/CATIs", f"客户 {customer} 的 {day} 分在 {n} 个 CATI 中（应集中报送）"
            )
    for i, cati in enumerate(catis, 1):
        where = f"HVTR/CATIs/CATI[{i}]"
        customer, day = cati.get("CBIF", {}).get("CSNM"), cati.get("HTDT")
        codes_seen = Counter(h.get("CRCD") for h in cati.get("HTCRs", []))
        for code, n in codes_seen.items():
            if n > 1:
                yield Problem(f"{where}/HTCRs", f"特征 {code} 出现 {n} 次（同一特征应集中报送）")
        if not cati.get("HTCRs"):
            yield Problem(f"{where}/HTCRs", "至少应有一个大额交易特征 / at least one HTCR")
        for j, htcr in enumerate(cati.get("HTCRs", []), 1):
            txns = [t for ccif in htcr.get("CCIFs", []) for t in ccif.get("TSDTs", [])]
            yield from _total(f"{where}/HTCRs/HTCR[{j}]/TTNM", htcr.get("TTNM"), len(txns))
            if not txns:
                yield Problem(f"{where}/HTCRs/HTCR[{j}]", "特征下至少应有一笔交易 / no TSDT")
            for k, ccif in enumerate(htcr.get("CCIFs", []), 1):
                identity = f"{where}/HTCRs/HTCR[{j}]/CCIFs/CCIF[{k}]"
                yield from _other_type(identity, ccif, "CITP", "OITP")
                yield from _id_numbers(identity, ccif)
                for m, txn in enumerate(ccif.get("TSDTs", []), 1):
                    at = f"{identity}/TSDTs/TSDT[{m}]"
                    yield from _conditionals(at, txn)
                    yield from _transaction(at, txn, day, htcr.get("CRCD"))
                    keys.append((customer, day, htcr.get("CRCD"), txn["TSIF"]["TICD"]))
    yield from _unique("HVTR/CATIs", keys, "业务主键 CSNM+HTDT+CRCD+TICD")


def _suspicious(data: Data) -> Iterator[Problem]:
    rbif = data.get("RBIF", {})
    yield from _total("BSTR/RBIF/SETN", rbif.get("SETN"), len(data.get("SEIFs", [])))
    yield from _total("BSTR/RBIF/STNM", rbif.get("STNM"), len(data.get("STIFs", [])))
    yield from _conditionals("BSTR/RBIF", rbif)
    torp = rbif.get("TORP") or ""
    if not (torp.isdigit() and (torp == "0000" or 1 <= int(torp) <= 9999)):
        yield Problem("BSTR/RBIF/TORP", "报送次数应为 1–9999（超过填 0000）")
    elif (torp == "1") != (rbif.get("ORXN") == NA):
        yield Problem("BSTR/RBIF/ORXN", "初次报送填 @N；续报须填初次报送的报文名 / ORXN vs TORP")
    elif torp != "1" and not _first_report(str(rbif.get("ORXN"))):
        yield Problem(
            "BSTR/RBIF/ORXN",
            "须为初次报送的可疑交易报告新增报文名（不加扩展名）/ the first report's name",
        )
    supplement = str(rbif.get("MIRS", "")).startswith("S")  # answering an information request
    for tag in ("TOSC", "STCR"):
        values = rbif.get(f"{tag}s", [])
        if values == [NA] and not supplement:
            yield Problem(f"BSTR/RBIF/{tag}s", f"{tag} 不能为 @N（信息补充通知应答除外）")
        if len(set(values)) != len(values):
            yield Problem(f"BSTR/RBIF/{tag}s", f"{tag} 有重复代码 / repeated codes")
    if rbif.get("RPNM") in (None, "", NA) and not supplement:
        yield Problem(
            "BSTR/RBIF/RPNM", "须填写填报人员（信息补充通知应答除外）/ the filer is required"
        )
    for tag in ("STCB", "AOSP"):
        marker = next((m for m in DRAFT_MARKERS if m in str(rbif.get(tag, ""))), None)
        if marker is not None:
            yield Problem(
                f"BSTR/RBIF/{tag}", f"仍含系统初稿标记“{marker}”，须经人工修改 / still the draft"
            )
    for i, seif in enumerate(data.get("SEIFs", []), 1):
        where = f"BSTR/SEIFs/SEIF[{i}]"
        for j, siif in enumerate(seif.get("SIIFs", []), 1):
            yield from _other_type(f"{where}/SIIFs/SIIF[{j}]", siif, "SETP", "OITP")
        srif = seif.get("SRIF", {})
        yield from _other_type(f"{where}/SRIF", srif, "SRIT", "ORIT")
        yield from _other_type(f"{where}/SRIF", srif, "SCIT", "OCIT")
    subjects = {seif.get("CSNM") for seif in data.get("SEIFs", [])}
    for i, seif in enumerate(data.get("SEIFs", []), 1):
        for j, siif in enumerate(seif.get("SIIFs", []), 1):
            yield from _id_numbers(f"BSTR/SEIFs/SEIF[{i}]/SIIFs/SIIF[{j}]", siif)
        yield from _id_numbers(f"BSTR/SEIFs/SEIF[{i}]/SRIF", seif.get("SRIF", {}))
    for i, stif in enumerate(data.get("STIFs", []), 1):
        where = f"BSTR/STIFs/STIF[{i}]"
        yield from _conditionals(where, stif)
        yield from _transaction(where, stif, None, None)  # its identities too (CIIF, TBIF…)
        party = stif.get("CIIF", {}).get("CSNM")
        if party not in subjects:
            yield Problem(
                f"{where}/CIIF/CSNM",
                f"交易的客户 {party} 不是报告的可疑主体（SEIF）/ not one of the report's subjects",
            )


def _first_report(name: str) -> bool:
    """A new banking suspicious report's message name, without its extension."""
    if name.upper().endswith(".XML"):
        return False
    try:
        parsed = MessageName.parse(name)
    except UnknownFileName:
        return False
    return (parsed.kind, parsed.report) == ("N", "BS")


# (type field, number field) of one identity, in the same group
_ID_PAIRS = [("CITP", "CTID"), ("TBIT", "TBID"), ("TCIT", "TCID"), ("SETP", "SEID"),
             ("SRIT", "SRID"), ("SCIT", "SCID")]  # fmt: skip


def _id_numbers(where: str, group: Data) -> Iterator[Problem]:
    """ID numbers checked against their type (resident ID, unified social credit code)."""
    groups = [("", group), *[(f"/{k}", v) for k, v in group.items() if isinstance(v, dict)]]
    for sub, data in groups:
        for kind, number in _ID_PAIRS:
            value = data.get(number)
            if kind not in data or not isinstance(value, str) or value in ("", NA):
                continue
            problem = codes.id_number_problem(str(data[kind]), value)
            if problem:
                yield Problem(f"{where}{sub}/{number}", f"{data[kind]} 证件号码: {problem}")


def _transaction(where: str, txn: Data, day: Any, characteristic: Any) -> Iterator[Problem]:
    """One transaction's cross-field rules: its time on the record's date, the RMB amount of a
    CNY record, the method against currency and (for 0501) cash, the identities."""
    tsif = txn.get("TSIF", {})
    yield from _id_numbers(where, txn)
    stamp, currency, method = tsif.get("TSTM"), tsif.get("CRTP"), tsif.get("TSTP")
    known = isinstance(day, str) and isinstance(stamp, str) and "t" not in stamp[:8] + day
    if known and stamp[:8] != day:  # type: ignore[index]
        yield Problem(f"{where}/TSIF/TSTM", f"交易时间不在 {day} 当日 / not on the record's date")
    if currency == "CNY" and "CRMB" in tsif and tsif.get("CRMB") not in (None, NA):
        crat, crmb = tsif.get("CRAT"), tsif.get("CRMB")
        if _number(crat) is not None and _number(crmb) != _number(crat):
            yield Problem(
                f"{where}/TSIF/CRMB", f"人民币交易 CRMB 应等于 CRAT（{crat}）/ CRMB ≠ CRAT"
            )
    if isinstance(method, str) and isinstance(currency, str) and codes.is_tx_method(method):
        cash = None if characteristic in (None, NA) else characteristic == "0501"
        if not codes.is_tx_method_for(method, currency, cash):
            why = (
                f"大额特征 {characteristic}（0501 现金，其余转账）"
                if codes.is_tx_method_for(method, currency)
                else f"币种 {currency}"
            )
            yield Problem(
                f"{where}/TSIF/TSTP", f"交易方式 {method} 与{why}不符 / method does not fit"
            )


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _conditionals(where: str, group: Data) -> Iterator[Problem]:
    """The companion-field rules inside one transaction (or report basics) group."""
    groups = [("", group), *[(f"/{k}", v) for k, v in group.items() if isinstance(v, dict)]]
    for sub, data in groups:
        for kind, other in _OTHER_TYPE:
            yield from _other_type(f"{where}{sub}", data, kind, other)
        for field, value, companion in _COMPANION:
            present = field in data and companion in data
            if present and (data[field] == value) == (data[companion] == NA):
                yield Problem(
                    f"{where}{sub}/{companion}",
                    f"{field}={value} 时须填写具体内容，否则填 @N / must be filled iff {field} is {value}",
                )


def _other_type(where: str, data: Data, kind: str, other: str) -> Iterator[Problem]:
    if kind not in data or other not in data:
        return
    needs = data[kind] in codes.OTHER_ID_TYPES
    if needs == (data[other] == NA):
        yield Problem(
            f"{where}/{other}",
            f"{kind} 为其他类证件时须填写具体类型，否则填 @N / must be filled iff {kind} is an 'other' type",
        )


def _total(where: str, value: Any, count: int) -> Iterator[Problem]:
    if value != str(count):
        yield Problem(where, f"总数应为 {count}，实为 {value!r} / total does not match the content")


def _unique(where: str, keys: list[tuple[Any, ...]], what: str) -> Iterator[Problem]:
    for key, n in Counter(keys).items():
        if n > 1:
            yield Problem(where, f"{what} 重复 {n} 次: {'+'.join(map(str, key))}")


# the root element each file-name kind carries (spec §3.1: N new, C correction, D deletion)
ROOT_OF = {("N", "BH"): "HVTR", ("C", "BH"): "CHTR", ("D", "BH"): "DHTR", ("N", "BS"): "BSTR",
           ("C", "BS"): "BSTR"}  # fmt: skip


def _name_problems(name: str, root: str, data: Data) -> list[Problem]:
    """The file name ↔ content rules: a well-formed message name (`.XML`), whose message and
    report kind fit the root element and whose institution is the content's."""
    try:
        parsed = MessageName.parse(name)
    except UnknownFileName as error:
        return [Problem("文件名", f"文件名不符合 §3.1 / not a message file name: {error}")]
    problems = []
    if name != parsed.xml:
        problems.append(
            Problem(
                "文件名", f"文件名应为 {parsed.xml}（大写，.XML）/ the name must be {parsed.xml}"
            )
        )
    expected = ROOT_OF.get((parsed.kind, parsed.report))
    if root != "?" and expected != root:
        problems.append(
            Problem(
                "文件名",
                f"{parsed.kind}{parsed.report} 文件应为 {expected} 报文，实为 {root} / "
                f"a {parsed.kind}{parsed.report} file holds {expected}, not {root}",
            )
        )
    ricd = data.get("RBIF", {}).get("RICD")
    if ricd and ricd != parsed.institution:
        problems.append(
            Problem(
                "文件名", f"文件名中的机构 {parsed.institution} 与 RICD {ricd} 不符 / institution"
            )
        )
    return problems
