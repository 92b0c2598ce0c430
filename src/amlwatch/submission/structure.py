"""The shapes of the banking messages (spec chapters 4–6) as templates, and the one writer
and parser both directions use.

A message's content is nested Python data that mirrors its XML: a group is a dict of its
children by tag, a repeated leaf (`CTNTs/CTNT`) a list of strings, a repeated group
(`CATIs/CATI`) a list of dicts. Repeated elements carry `seqno` 1, 2, … as the spec draws them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Union

Data = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Group:
    """An element holding children in a fixed order."""

    tag: str
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Leaves:
    """A wrapper of repeated text elements: `<CTNTs><CTNT seqno="1">…`."""

    tag: str
    item: str


@dataclass(frozen=True, slots=True)
class Repeat:
    """A wrapper of repeated groups: `<CATIs><CATI seqno="1">…`."""

    tag: str
    item: str
    children: tuple[Node, ...]


Node = Union[str, Group, Leaves, Repeat]  # noqa: UP007 (a runtime alias of classes)


def _g(tag: str, *children: Node) -> Group:
    return Group(tag, children)


def _r(tag: str, item: str, *children: Node) -> Repeat:
    return Repeat(tag, item, children)


_RINI = _g("RINI", "FINC", "RLFC")
_TBIF = _g("TBIF", "TBNM", "TBIT", "OITP", "TBID", "TBNT")
_TSIF_HEAD = ("TSTM", "TRCD", "TICD", "RPMT", "RPMN", "TSTP", "OCTT", "OOCT", "OCEC", "BPTC")
_TCIF = _g("TCIF", "CFIN", "CFCT", "CFIC", "CFRC", "TCNM", "TCIT", "OITP", "TCID", "TCAT", "TCAC")
_ROTF = Leaves("ROTFs", "ROTF")
LARGE_VALUE_TXN: tuple[Node, ...] = (
    _RINI,
    _g("ATIF", "CATP", "CTAC", "OATM", "CBCT", "OCBT", "CBCN"),
    _TBIF,
    _g("TSIF", *_TSIF_HEAD, "TSCT", "TSDR", "CRPP", "CRTP", "CRAT", "CRMB", "CUSD"),
    _TCIF,
    _ROTF,
)

HVTR = _g(
    "HVTR",
    _g("RBIF", "RICD", "CTTN"),
    _r(
        "CATIs",
        "CATI",
        _g(
            "CBIF",
            "CSNM",
            Leaves("CTNTs", "CTNT"),
            "CTVC",
            _g("CCIF", Leaves("CCTLs", "CCTL"), Leaves("CATRs", "CTAR"), Leaves("CCEIs", "CCEI")),
        ),
        "HTDT",
        _r(
            "HTCRs",
            "HTCR",
            "CRCD",
            "TTNM",
            _r(
                "CCIFs",
                "CCIF",
                "CTNM",
                "CITP",
                "OITP",
                "CTID",
                _r("TSDTs", "TSDT", *LARGE_VALUE_TXN),
            ),
        ),
    ),
)

CHTR = _g(
    "CHTR",
    _g("RBIF", "RICD", "TSTN", "MIRS"),
    _r("TSDTs", "TSDT", "OCNM", "OTDT", "OTCD", "OTIC", *LARGE_VALUE_TXN),
)

DHTR = _g(
    "DHTR",
    _g("RBIF", "RICD", "DTTN"),
    _r("DTDTs", "DTDT", "CSNM", "HTDT", "CRCD", "TICD"),
)

BSTR = _g(
    "BSTR",
    _g(
        "RBIF",
        "RICD",
        "RPNC",
        "DETR",
        "TORP",
        "ORXN",
        "DORP",
        "ODRP",
        "TPTR",
        "OTPR",
        "STCB",
        "AOSP",
        Leaves("TOSCs", "TOSC"),
        Leaves("STCRs", "STCR"),
        "SETN",
        "STNM",
        "RPNM",
        "MIRS",
    ),
    _r(
        "SEIFs",
        "SEIF",
        "CSNM",
        "SEVC",
        _r("SIIFs", "SIIF", "SENM", "SETP", "OITP", "SEID"),
        Leaves("STNTs", "STNT"),
        _g("SCIF", Leaves("SCTLs", "SCTL"), Leaves("SEARs", "SEAR"), Leaves("SEEIs", "SEEI")),
        _g("SRIF", "SRNM", "SRIT", "ORIT", "SRID", "SCNM", "SCIT", "OCIT", "SCID"),
    ),
    _r(
        "STIFs",
        "STIF",
        _RINI,
        _g("CIIF", "CTNM", "CITP", "OITP", "CTID", "CSNM"),
        _g("ATIF", "CATP", "CTAC", "OATM", "CATM", "CBCT", "OCBT", "CBCN"),
        _TBIF,
        _g("TSIF", *_TSIF_HEAD, "TSCT", "TSDR", "CRSP", "CRTP", "CRAT"),
        _TCIF,
        _ROTF,
    ),
)

MESSAGES = {t.tag: t for t in (HVTR, CHTR, DHTR, BSTR)}


def _tag(node: Node) -> str:
    return node if isinstance(node, str) else node.tag


def to_xml(template: Group, data: Data) -> bytes:
    """The message as UTF-8 XML with a declaration, indented."""
    root = ET.Element(template.tag)
    _fill(root, template.children, data)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def _fill(parent: ET.Element, children: tuple[Node, ...], data: Data) -> None:
    for node in children:
        value = data[_tag(node)]
        if isinstance(node, str):
            ET.SubElement(parent, node).text = str(value)
        elif isinstance(node, Group):
            _fill(ET.SubElement(parent, node.tag), node.children, value)
        elif isinstance(node, Leaves):
            wrapper = ET.SubElement(parent, node.tag)
            for i, text in enumerate(value, 1):
                ET.SubElement(wrapper, node.item, seqno=str(i)).text = str(text)
        else:
            wrapper = ET.SubElement(parent, node.tag)
            for i, item in enumerate(value, 1):
                _fill(ET.SubElement(wrapper, node.item, seqno=str(i)), node.children, item)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a message: where (an XPath-like location) and why."""

    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


_DECLARATION = re.compile(rb'^<\?xml\s+version="1\.0"\s+encoding="(?i:UTF-8)"\s*\?>')


def encoding_problems(xml: bytes) -> list[Problem]:
    """The file must start with the XML declaration of UTF-8 (spec §5.1) and be UTF-8."""
    if xml.startswith(b"\xef\xbb\xbf"):
        return [Problem("/", "不能带 BOM / the file must not start with a byte-order mark")]
    if not _DECLARATION.match(xml):
        found = (
            xml[:60].split(b"?>")[0].decode("ascii", "replace") if xml.startswith(b"<?xml") else ""
        )
        return [
            Problem(
                "/",
                '应以 <?xml version="1.0" encoding="UTF-8"?> 开头 / the UTF-8 XML declaration '
                f"is missing{f': {found}?>' if found else ''}",
            )
        ]
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError as error:
        return [
            Problem(
                "/", f"不是 UTF-8 编码（第 {error.start} 字节）/ not UTF-8 at byte {error.start}"
            )
        ]
    return []


def from_xml(template: Group, xml: bytes) -> tuple[Data, list[Problem]]:
    """Read a message back into nested data; structural problems (missing, unexpected or
    misnumbered elements) are returned, not raised (missing leaves read as None)."""
    problems = encoding_problems(xml)
    if problems:
        return {}, problems
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as error:
        return {}, [Problem("/", f"不是格式正确的 XML / not well-formed XML: {error}")]
    if root.tag != template.tag:
        return {}, [Problem("/", f"根元素应为 {template.tag} / root is {root.tag}")]
    return _read(root, template.children, template.tag, problems), problems


def _read(
    element: ET.Element, children: tuple[Node, ...], path: str, problems: list[Problem]
) -> Data:
    data: Data = {}
    expected = [_tag(n) for n in children]
    seen = [child.tag for child in element]
    if seen != expected:
        extra = [t for t in seen if t not in expected]
        missing = [t for t in expected if t not in seen]
        if extra or missing:
            problems.append(
                Problem(
                    path, f"缺少 {missing} / 多余 {extra} / missing {missing}, unexpected {extra}"
                )
            )
        elif seen != expected:
            problems.append(Problem(path, f"元素顺序应为 {expected} / elements out of order"))
    for node in children:
        found = element.find(_tag(node))
        where = f"{path}/{_tag(node)}"
        if isinstance(node, str):
            data[node] = None if found is None else (found.text or "")
            if found is not None and len(found):
                problems.append(
                    Problem(where, "应为文本，不能含子元素 / text expected, not elements")
                )
        elif found is None:
            data[node.tag] = [] if isinstance(node, Leaves | Repeat) else {}
        elif isinstance(node, Group):
            data[node.tag] = _read(found, node.children, where, problems)
        else:
            items = list(found)
            for i, item in enumerate(items, 1):
                if item.tag != node.item:
                    problems.append(Problem(where, f"应为 {node.item} / unexpected {item.tag}"))
                if item.get("seqno") != str(i):
                    problems.append(
                        Problem(
                            f"{where}/{node.item}[{i}]",
                            f"seqno 应为 {i} / seqno is {item.get('seqno')!r}, expected {i}",
                        )
                    )
            if isinstance(node, Leaves):
                data[node.tag] = [item.text or "" for item in items]
                for i, item in enumerate(items, 1):
                    if len(item):
                        problems.append(
                            Problem(
                                f"{where}/{node.item}[{i}]",
                                "应为文本，不能含子元素 / text expected",
                            )
                        )
            else:
                data[node.tag] = [
                    _read(item, node.children, f"{where}/{node.item}[{i}]", problems)
                    for i, item in enumerate(items, 1)
                ]
    return data


def leaves(template: Group, data: Data) -> Iterator[tuple[str, str, Any]]:
    """Every leaf value of a message as (location, tag, value), in document order."""
    yield from _walk(template.children, data, template.tag)


def _walk(children: tuple[Node, ...], data: Data, path: str) -> Iterator[tuple[str, str, Any]]:
    for node in children:
        tag = _tag(node)
        value = data.get(tag)
        where = f"{path}/{tag}"
        if isinstance(node, str):
            yield where, node, value
        elif isinstance(node, Group):
            yield from _walk(node.children, value or {}, where)
        elif isinstance(node, Leaves):
            if not value:
                yield where, node.item, None  # a list must hold at least @N
            for i, text in enumerate(value or [], 1):
                yield f"{where}/{node.item}[{i}]", node.item, text
        else:
            for i, item in enumerate(value or [], 1):
                yield from _walk(node.children, item, f"{where}/{node.item}[{i}]")
