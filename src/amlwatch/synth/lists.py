"""Synthetic sanctions and watch lists: entries, the UN consolidated list's XML and the
domestic list's CSV written from them, and the names a listed party may go by at a bank.

The variants are written the way the documents of such a party spell the name (pinyin with
tone marks, Wade-Giles with apostrophes, Hong Kong spellings, another transliteration of an
Arabic name), from the same pypinyin / Cantonese tables a bank's staff would use.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from amlwatch.screening import TABLE_COLUMNS, ListEntry, ListName
from amlwatch.screening.names import PartyType, name_forms, variants
from amlwatch.synth.vocabulary import WORDS

LIST_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
POLYPHONIC_SURNAMES = list("曾单解仇区查朴盖缪乐覃")
LIST_GIVEN = list(
    "振国华建军志明文德永东光宏海兴福春庆俊荣昌伟新成荣耀明远宗泽宝辉鸿飞龙祥瑞金山水扁登辉英权"
)
FOREIGN_GIVEN = [
    "muhammad",
    "ahmad",
    "abdul",
    "abdullah",
    "usama",
    "husayn",
    "hasan",
    "yusuf",
    "umar",
    "ali",
    "ibrahim",
    "ismail",
    "khalid",
    "mustafa",
    "said",
    "salih",
    "jamal",
    "qasim",
    "rahman",
    "karim",
    "hamid",
    "majid",
    "rashid",
    "hamza",
    "yahya",
    "musa",
    "isa",
]
FOREIGN_FAMILY = [
    "baghdadi",
    "zawahiri",
    "haqqani",
    "ladin",
    "rahim",
    "qadir",
    "uthman",
    "mahmud",
    "sergei",
    "alexander",
    "dmitri",
    "yuri",
    "andrei",
    "mikhail",
    "vladimir",
]
COUNTRIES = ["AFG", "IRQ", "SYR", "YEM", "SOM", "LBY", "PRK", "IRN", "SDN", "PAK"]
ENTITY_WORDS = [
    "Al Rashid",
    "Crescent",
    "Northern Star",
    "Golden Falcon",
    "Blue Horizon",
    "Sahara",
    "Ocean Pearl",
    "Silk Road",
    "Eastern Gate",
    "Iron Bridge",
    "Red Sea",
    "Summit",
]
ENTITY_KINDS = [
    "Trading",
    "Shipping",
    "Exchange",
    "Foundation",
    "Charity",
    "Logistics",
    "Petroleum",
]
CHINESE_ENTITY_WORDS = WORDS  # the trade names the synthetic bank's own firms take
CHINESE_TRADES = ["贸易", "实业", "科技", "投资", "物流", "能源", "矿业", "化工", "电子"]
CHINESE_CITIES = ["北京", "上海", "广州", "深圳", "厦门", "昆明", "乌鲁木齐", "喀什"]


def _pick(rng: np.random.Generator, items: Sequence[str]) -> str:
    return items[int(rng.integers(0, len(items)))]


def _birth(rng: np.random.Generator) -> str:
    day = dt.date(1945, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 55)))
    return day.isoformat()


def _chinese_name(rng: np.random.Generator, surnames: Sequence[str]) -> str:
    given = "".join(_pick(rng, LIST_GIVEN) for _ in range(1 + int(rng.random() < 0.8)))
    return _pick(rng, surnames) + given


def _foreign_name(rng: np.random.Generator, family: str) -> str:
    given = [_pick(rng, FOREIGN_GIVEN).capitalize() for _ in range(1 + int(rng.random() < 0.6))]
    return " ".join(given) + " " + family.upper()


def _kunya(rng: np.random.Generator, family: str) -> str:
    given = [_pick(rng, FOREIGN_GIVEN).capitalize() for _ in range(2)]
    return f"Abu {given[0]} {given[1]}" + (f" {family.capitalize()}" if rng.random() < 0.5 else "")


def _chinese_firm(rng: np.random.Generator) -> str:
    words = CHINESE_ENTITY_WORDS
    trade = _pick(rng, CHINESE_TRADES)
    return f"{_pick(rng, CHINESE_CITIES)}{_pick(rng, words)}{_pick(rng, words)}{trade}有限公司"


def _foreign_firm(rng: np.random.Generator, i: int) -> str:
    return f"{_pick(rng, ENTITY_WORDS)} {_pick(rng, ENTITY_KINDS)} {i} Company Limited"


def generated_entries(
    rng: np.random.Generator, chinese: int, foreign: int, entities: int, prefix: str = "L"
) -> list[ListEntry]:
    """Listed parties: Chinese persons (Hanzi names), foreign persons (Latin names with an
    alias), and entities (Latin and Chinese names), each with its identifiers. No two names
    are alike (a list naming two parties alike leaves no truth to measure against)."""
    entries: list[ListEntry] = []
    taken: set[str] = set()

    def new(make: Callable[..., str], *args: Any, party_type: PartyType = "individual") -> str:
        for _ in range(1000):
            name = make(rng, *args)
            forms = name_forms(name, party_type)
            # one name per reading too: two listed parties whose names are written alike in
            # Latin letters leave a romanised name no single truth
            keys = {"".join(sorted(forms.keys)), forms.renderings[0].compact}
            if not keys & taken:
                taken.update(keys)
                return name
        raise ValueError("too many listed parties for the generator's vocabulary")

    for i in range(chinese):
        surnames = POLYPHONIC_SURNAMES if i % 7 == 0 else LIST_SURNAMES
        name = new(_chinese_name, surnames)
        entries.append(
            ListEntry(
                ref=f"{prefix}P{i:06d}",
                party_type="individual",
                names=(ListName(name),),
                birth_dates=(_birth(rng),),
                nationalities=("CHN",),
                id_numbers=(f"E{int(rng.integers(10**7, 10**8))}",),
                listed_on="2024-06-01",
                program="涉恐名单",
            )
        )
    for i in range(foreign):
        family = _pick(rng, FOREIGN_FAMILY)
        name = new(_foreign_name, family)
        alias = new(_kunya, family)
        entries.append(
            ListEntry(
                ref=f"{prefix}F{i:06d}",
                party_type="individual",
                names=(ListName(name), ListName(alias, "alias")),
                birth_dates=(_birth(rng),),
                nationalities=(_pick(rng, COUNTRIES),),
                id_numbers=(f"P{int(rng.integers(10**8, 10**9))}",),
                listed_on="2023-03-15",
                program="QDi",
            )
        )
    for i in range(entities):
        chinese_firm = i % 2 == 1
        name = new(
            _chinese_firm if chinese_firm else _foreign_firm,
            *(() if chinese_firm else (i,)),
            party_type="entity",
        )
        entries.append(
            ListEntry(
                ref=f"{prefix}E{i:06d}",
                party_type="entity",
                names=(ListName(name),),
                accounts=(f"62{int(rng.integers(10**15, 10**16))}",),
                listed_on="2025-01-10",
                program="QDe",
            )
        )
    return entries


def un_list_xml(entries: Sequence[ListEntry], generated: str = "2026-11-30T00:00:00") -> bytes:
    """The entries as the UN Security Council consolidated list publishes them."""

    def element(tag: str, text: str | None) -> str:
        return f"<{tag}>{escape(text)}</{tag}>" if text else f"<{tag}/>"

    people, bodies = [], []
    for i, entry in enumerate(entries):
        primary = entry.names[0].text.split(" ", 3)
        names = "".join(
            element(tag, primary[j] if j < len(primary) else None)
            for j, tag in enumerate(("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"))
        )
        alias_tag = "INDIVIDUAL_ALIAS" if entry.party_type == "individual" else "ENTITY_ALIAS"
        quality = {"alias": "Good", "weak_alias": "Low"}
        extra = "".join(
            f"<{alias_tag}><QUALITY>{quality[n.quality]}</QUALITY>{element('ALIAS_NAME', n.text)}</{alias_tag}>"
            for n in entry.names[1:]
            if n.quality in quality
        )
        original = next((n.text for n in entry.names if n.quality == "original_script"), None)
        births = "".join(
            "<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>"
            + (
                f"EXACT</TYPE_OF_DATE><DATE>{b}</DATE>"
                if len(b) > 4
                else f"APPROXIMATELY</TYPE_OF_DATE><YEAR>{b}</YEAR>"
            )
            + "</INDIVIDUAL_DATE_OF_BIRTH>"
            for b in entry.birth_dates
        )
        passport = "<TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT>"
        documents = "".join(
            f"<INDIVIDUAL_DOCUMENT>{passport}{element('NUMBER', d)}</INDIVIDUAL_DOCUMENT>"
            for d in entry.id_numbers
        )
        nationality = "".join(
            f"<NATIONALITY><VALUE>{_country_name(c)}</VALUE></NATIONALITY>"
            for c in entry.nationalities
        )
        body = (
            f"<DATAID>{6900000 + i}</DATAID><VERSIONNUM>1</VERSIONNUM>{names}"
            f"{element('UN_LIST_TYPE', entry.program)}{element('REFERENCE_NUMBER', entry.ref)}"
            f"{element('LISTED_ON', entry.listed_on)}{element('NAME_ORIGINAL_SCRIPT', original)}"
            f"{element('COMMENTS1', entry.remarks)}{nationality}{extra}{births}{documents}"
        )
        if entry.party_type == "individual":
            people.append(f"  <INDIVIDUAL>{body}</INDIVIDUAL>\n")
        else:
            bodies.append(f"  <ENTITY>{body}</ENTITY>\n")
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<CONSOLIDATED_LIST dateGenerated="{generated}">\n<INDIVIDUALS>\n{"".join(people)}</INDIVIDUALS>\n'
        f"<ENTITIES>\n{''.join(bodies)}</ENTITIES>\n</CONSOLIDATED_LIST>\n"
    )
    return xml.encode("utf-8")


def _country_name(code: str) -> str:
    import pycountry

    country = pycountry.countries.get(alpha_3=code)
    return str(country.name) if country else code


def list_csv(entries: Sequence[ListEntry]) -> bytes:
    """The entries as a domestic or internal list's CSV (`screening.TABLE_COLUMNS`)."""
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(TABLE_COLUMNS))
    for e in entries:
        writer.writerow(
            [
                e.ref,
                e.party_type,
                e.names[0].text,
                ";".join(n.text for n in e.names[1:] if n.quality == "alias"),
                ";".join(n.text for n in e.names[1:] if n.quality == "weak_alias"),
                ";".join(e.birth_dates),
                ";".join(e.nationalities),
                ";".join(e.id_numbers),
                ";".join(e.accounts),
                e.listed_on or "",
                e.program,
                e.remarks,
            ]
        )
    return out.getvalue().encode("utf-8")


def spelling_variant(part: str, rng: np.random.Generator) -> str:
    """Another spelling of a foreign name part from its variant group (itself if none)."""
    table = variants().latin
    group = [
        s for s, canonical in table.items() if canonical == table.get(part, part) and s != part
    ]
    return _pick(rng, group) if group else part


def chinese_transliteration(parts: Sequence[str]) -> str | None:
    """A foreign name written in Chinese (parts joined by "·"), if every part has a
    standard transliteration."""
    inverse: dict[str, str] = {}
    for hanzi, latin in variants().hanzi_parts.items():
        inverse.setdefault(latin, hanzi)
    canonical = [variants().latin.get(p, p) for p in parts]
    if not all(p in inverse for p in canonical):
        return None
    return "·".join(inverse[p] for p in canonical)
