"""Sanctions and watch lists as data: the UN Security Council consolidated list (its XML) and
the domestic and the bank's own lists (CSV or xlsx with the columns of `TABLE_COLUMNS`), each
parsed into `ListEntry`s or refused whole with the line and the reason.

Parsing takes the file's bytes and does no I/O; `warehouse.screening` keeps the versions.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import xml.parsers.expat
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field

import pycountry

from amlwatch.screening.exceptions import ListFileRejected
from amlwatch.screening.names import PartyType

# the lists the special preventive measures name, and the bank's own; other codes may be used
LIST_NAMES = {
    "UN": "联合国安理会制裁名单（外交部通知）",
    "CN-CT": "国家反恐怖主义工作领导机构认定的恐怖活动组织和人员名单",
    "PBOC": "中国人民银行指定的其他名单",
    "INTERNAL": "本行内部监控名单",
}
NameQuality = str  # "primary", "alias", "weak_alias", "original_script"
_UN_QUALITY = {
    "good": "alias",
    "a.k.a.": "alias",
    "aka": "alias",
    "f.k.a.": "alias",
    "low": "weak_alias",
}

# The columns of a domestic or internal list (CSV, UTF-8, or the first sheet of an xlsx).
# Several values in one cell are separated by ";".
TABLE_COLUMNS: dict[str, tuple[bool, str]] = {
    "list_ref": (True, "the entry's number in its list, unique within the file"),
    "party_type": (True, "individual or entity"),
    "name": (True, "the listed name (Chinese or Latin)"),
    "aliases": (False, "other names; ';' between them"),
    "weak_aliases": (False, "low-quality aliases (score lower); ';' between them"),
    "birth_dates": (False, "YYYY-MM-DD or YYYY; ';' between them"),
    "nationalities": (False, "ISO 3166 alpha-3; ';' between them"),
    "id_numbers": (False, "identity document or registration numbers; ';' between them"),
    "accounts": (False, "account numbers; ';' between them"),
    "listed_on": (False, "YYYY-MM-DD"),
    "program": (False, "why or under which measure the party is listed"),
    "remarks": (False, "free text"),
}


@dataclass(frozen=True, slots=True)
class ListName:
    text: str
    quality: NameQuality = "primary"


@dataclass(frozen=True)
class ListEntry:
    """One listed party, as its list describes it."""

    ref: str
    party_type: PartyType
    names: tuple[ListName, ...]
    birth_dates: tuple[str, ...] = ()  # "YYYY-MM-DD" or "YYYY"
    nationalities: tuple[str, ...] = ()  # ISO 3166 alpha-3
    id_numbers: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    listed_on: str | None = None
    program: str = ""
    remarks: str = ""
    unmapped: tuple[str, ...] = field(default=(), compare=False)  # countries not resolved

    def digest(self) -> str:
        """The entry's content digest: a changed entry has a new one (its version)."""
        payload = asdict(self)
        payload.pop("unmapped")
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ListEntry:
        data = json.loads(text)
        data["names"] = tuple(ListName(**n) for n in data["names"])
        for key in ("birth_dates", "nationalities", "id_numbers", "accounts", "unmapped"):
            data[key] = tuple(data[key])
        return cls(**data)


@dataclass(frozen=True)
class ParsedList:
    entries: tuple[ListEntry, ...]
    warnings: tuple[str, ...]  # facts the file states that could not be used (reported)
    generated_on: str | None = None


# ---- the UN consolidated list -----------------------------------------------------------


@dataclass
class _Node:
    tag: str
    line: int
    text: str = ""
    children: list[_Node] = field(default_factory=list)

    def first(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def all(self, tag: str) -> Iterator[_Node]:
        return (c for c in self.children if c.tag == tag)

    def value(self, tag: str) -> str:
        node = self.first(tag)
        return node.text.strip() if node is not None else ""


def parse_un_consolidated(data: bytes, file: str) -> ParsedList:
    """The entries of a UN Security Council consolidated list (`CONSOLIDATED_LIST` XML)."""
    root = _parse_xml(data, file)
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFileRejected(file, root.line, f"根元素应为 CONSOLIDATED_LIST，实为 {root.tag}")
    entries: list[ListEntry] = []
    warnings: list[str] = []
    for group, tag, party in (
        ("INDIVIDUALS", "INDIVIDUAL", "individual"),
        ("ENTITIES", "ENTITY", "entity"),
    ):
        for section in root.all(group):
            for node in section.all(tag):
                entries.append(_un_entry(node, party, file, warnings))  # type: ignore[arg-type]
    if not entries:
        raise ListFileRejected(
            file, root.line, "名单中没有任何个人或实体 / no INDIVIDUAL or ENTITY"
        )
    _refuse_duplicates([(e.ref, 0) for e in entries], file)
    return ParsedList(tuple(entries), tuple(warnings), root.value("dateGenerated") or None)


def _parse_xml(data: bytes, file: str) -> _Node:
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        raise ListFileRejected(
            file, 0, "不接受 DTD 或实体声明 / DTD and entity declarations refused"
        )
    parser = xml.parsers.expat.ParserCreate()
    stack: list[_Node] = []
    roots: list[_Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = _Node(tag, parser.CurrentLineNumber)
        for name, value in attrs.items():
            node.children.append(_Node(name, node.line, value))
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(tag: str) -> None:
        stack.pop()

    def text(chunk: str) -> None:
        if stack:
            stack[-1].text += chunk

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as error:
        reason = xml.parsers.expat.ErrorString(error.code)
        raise ListFileRejected(
            file, error.lineno, f"XML 格式错误 / malformed XML: {reason}"
        ) from error
    return roots[0]


def _un_entry(node: _Node, party: PartyType, file: str, warnings: list[str]) -> ListEntry:
    ref = node.value("REFERENCE_NUMBER") or node.value("DATAID")
    if not ref:
        raise ListFileRejected(file, node.line, f"{node.tag} 缺少 REFERENCE_NUMBER 与 DATAID")
    parts = [node.value(t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
    primary = " ".join(p for p in parts if p)
    if not primary:
        raise ListFileRejected(file, node.line, f"{ref}: 缺少名称 FIRST_NAME / no name")
    names = [ListName(primary)]
    original = node.value("NAME_ORIGINAL_SCRIPT")
    if original:
        names.append(ListName(original, "original_script"))
    for alias in (*node.all("INDIVIDUAL_ALIAS"), *node.all("ENTITY_ALIAS")):
        text = alias.value("ALIAS_NAME")
        if text:
            quality = _UN_QUALITY.get(alias.value("QUALITY").casefold(), "alias")
            names.append(ListName(text, quality))
    births: list[str] = []
    for birth in node.all("INDIVIDUAL_DATE_OF_BIRTH"):
        births += _un_birth(birth, ref, file)
    documents = [d.value("NUMBER") for d in node.all("INDIVIDUAL_DOCUMENT") if d.value("NUMBER")]
    nationalities, unmapped = [], []
    for nationality in node.all("NATIONALITY"):
        for value in nationality.all("VALUE"):
            code = country_code(value.text.strip())
            if code:
                nationalities.append(code)
            elif value.text.strip():
                unmapped.append(value.text.strip())
                warnings.append(
                    f"{file}:{value.line}: {ref}: 国籍无法识别 / country not known: {value.text.strip()}"
                )
    listed_on = node.value("LISTED_ON")[:10] or None
    if listed_on:
        _date(listed_on, file, node.line, "LISTED_ON")
    return ListEntry(
        ref=ref,
        party_type=party,
        names=tuple(dict.fromkeys(names)),
        birth_dates=tuple(dict.fromkeys(births)),
        nationalities=tuple(dict.fromkeys(nationalities)),
        id_numbers=tuple(dict.fromkeys(documents)),
        listed_on=listed_on,
        program=node.value("UN_LIST_TYPE"),
        remarks=node.value("COMMENTS1"),
        unmapped=tuple(unmapped),
    )


def _un_birth(node: _Node, ref: str, file: str) -> list[str]:
    date, year = node.value("DATE"), node.value("YEAR")
    if date:
        return [_date(date[:10], file, node.line, "DATE")]
    if year:
        return [_year(year, file, node.line)]
    low, high = node.value("FROM_YEAR"), node.value("TO_YEAR")
    if low and high:
        first, last = int(_year(low, file, node.line)), int(_year(high, file, node.line))
        if last < first or last - first > 30:
            raise ListFileRejected(file, node.line, f"{ref}: 出生年份区间无效 {low}–{high}")
        return [str(y) for y in range(first, last + 1)]
    return []


def country_code(name: str) -> str | None:
    """The ISO 3166 alpha-3 code of a country name as the UN writes it, if known."""
    if not name:
        return None
    candidates = [name, re.sub(r"^(.*?) \((.*)\)$", r"\2 \1", name), re.sub(r" \(.*\)$", "", name)]
    for candidate in candidates:
        try:
            return str(pycountry.countries.lookup(candidate).alpha_3)
        except LookupError:
            continue
    return None


# ---- domestic and internal lists (CSV / xlsx) -----------------------------------------


def parse_list_csv(data: bytes, file: str) -> ParsedList:
    """The entries of a list in CSV (UTF-8, with or without BOM) with `TABLE_COLUMNS`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ListFileRejected(file, line, "不是 UTF-8 编码 / not UTF-8") from error
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = ((reader.line_num, row) for row in reader)
    return _parse_table(rows, file)


def parse_list_xlsx(data: bytes, file: str) -> ParsedList:
    """The entries of a list in the first sheet of an xlsx workbook with `TABLE_COLUMNS`."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # zipfile / XML errors of a file that is no workbook
        raise ListFileRejected(
            file, 0, f"不是可读取的 xlsx 工作簿 / not an xlsx workbook: {error}"
        ) from error
    sheet = book.worksheets[0]
    rows = (
        (
            i,
            [
                "" if v is None else (v.isoformat()[:10] if isinstance(v, dt.date) else str(v))
                for v in row
            ],
        )
        for i, row in enumerate(sheet.iter_rows(values_only=True), start=1)
    )
    return _parse_table(rows, file)


def _parse_table(rows: Iterator[tuple[int, list[str]]], file: str) -> ParsedList:
    try:
        _, header = next(rows)
    except StopIteration:
        raise ListFileRejected(file, 0, "文件为空 / empty file") from None
    columns = [h.strip() for h in header]
    missing = [c for c, (required, _) in TABLE_COLUMNS.items() if required and c not in columns]
    unknown = [c for c in columns if c and c not in TABLE_COLUMNS]
    if missing or unknown:
        reason = f"缺少列 missing: {missing}" if missing else f"未知列 unknown: {unknown}"
        raise ListFileRejected(file, 1, reason)
    entries: list[ListEntry] = []
    refs: list[tuple[str, int]] = []
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            raise ListFileRejected(file, line, f"字段数 {len(row)} 多于表头 {len(columns)} 列")
        cells = dict(zip(columns, (c.strip() for c in row), strict=False))
        entries.append(_table_entry(cells, file, line))
        refs.append((entries[-1].ref, line))
    if not entries:
        raise ListFileRejected(file, 0, "名单中没有任何条目 / no entries")
    _refuse_duplicates(refs, file)
    return ParsedList(tuple(entries), ())


def _table_entry(cells: dict[str, str], file: str, line: int) -> ListEntry:
    def many(column: str) -> list[str]:
        return [v.strip() for v in cells.get(column, "").split(";") if v.strip()]

    for column, (required, _) in TABLE_COLUMNS.items():
        if required and not cells.get(column):
            raise ListFileRejected(file, line, "必填项为空 / required value missing", column)
    party = cells["party_type"]
    if party not in ("individual", "entity"):
        raise ListFileRejected(
            file, line, f"未知主体类型 {party!r}（individual / entity）", "party_type"
        )
    births = [
        _year(b, file, line, "birth_dates") if len(b) == 4 else _date(b, file, line, "birth_dates")
        for b in many("birth_dates")
    ]
    for code in many("nationalities"):
        if pycountry.countries.get(alpha_3=code.upper()) is None:
            raise ListFileRejected(
                file, line, f"未知国家代码 {code!r}（ISO 3166 三字母）", "nationalities"
            )
    listed_on = cells.get("listed_on") or None
    if listed_on:
        _date(listed_on, file, line, "listed_on")
    names = [ListName(cells["name"])]
    names += [ListName(a, "alias") for a in many("aliases")]
    names += [ListName(a, "weak_alias") for a in many("weak_aliases")]
    return ListEntry(
        ref=cells["list_ref"],
        party_type=party,  # type: ignore[arg-type]
        names=tuple(dict.fromkeys(names)),
        birth_dates=tuple(dict.fromkeys(births)),
        nationalities=tuple(dict.fromkeys(c.upper() for c in many("nationalities"))),
        id_numbers=tuple(dict.fromkeys(many("id_numbers"))),
        accounts=tuple(dict.fromkeys(many("accounts"))),
        listed_on=listed_on,
        program=cells.get("program", ""),
        remarks=cells.get("remarks", ""),
    )


def _refuse_duplicates(refs: Sequence[tuple[str, int]], file: str) -> None:
    seen: dict[str, int] = {}
    for ref, line in refs:
        if ref in seen:
            raise ListFileRejected(file, line, f"条目编号重复 / duplicate list_ref {ref!r}")
        seen[ref] = line


def _date(text: str, file: str, line: int, column: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ListFileRejected(file, line, f"日期无效 {text!r}（YYYY-MM-DD）", column) from None


def _year(text: str, file: str, line: int, column: str = "YEAR") -> str:
    if not (text.isdigit() and len(text) == 4 and 1850 <= int(text) <= 2100):
        raise ListFileRejected(file, line, f"年份无效 {text!r}", column)
    return text
