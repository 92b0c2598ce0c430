"""A labelled test set for list screening: for each listed party, the names it may go by at a
bank (one per variant kind, the true matches) and parties a reviewer would call someone else
(the hard non-matches: the same surname, a similar given name, a common name with another
birth date, a name that only sounds alike, a similar foreign name).

`bench/quality_screening.py` measures precision and recall on it; the tests use it too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from amlwatch.screening import ListEntry, Subject
from amlwatch.screening.names import _char_readings, _opencc, name_forms, variants
from amlwatch.screening.readings import cantonese_readings
from amlwatch.synth.lists import (
    FOREIGN_FAMILY,
    LIST_GIVEN,
    chinese_transliteration,
    spelling_variant,
)

# variant kind → what it is (true matches)
VARIANT_KINDS: dict[str, str] = {
    "exact": "名称原样",
    "traditional": "繁体字",
    "pinyin": "汉语拼音",
    "pinyin_tones": "带声调的拼音",
    "spacing": "空格、连字符、大小写",
    "order": "名在前、姓在后",
    "heteronym": "多音字的另一读音",
    "wade_giles": "威妥玛拼音（台湾）",
    "cantonese": "粤语拼音（港澳）",
    "translit": "外文音译变体",
    "alias": "别名",
    "foreign_in_chinese": "外国人名的中文音译",
    "entity_suffix": "机构后缀不同",
    "id_number": "仅证件号码相同",
}
# hard non-match kind → what it is (someone else)
HARD_KINDS: dict[str, str] = {
    "same_surname": "同姓不同名",
    "similar_given": "名字一字之差",
    "common_name": "同名但出生年份不同",
    "homophone": "同音不同字",
    "similar_foreign": "相似的外国人名",
}
_HOMOPHONE_POOL = "伟玮炜维卫国果郭华化桦明铭鸣民敏文雯闻军君均俊峻骏东冬栋光广荣容蓉新欣鑫成城诚龙隆德得永勇海辉晖慧福富春纯庆青清"  # noqa: E501


@dataclass(frozen=True)
class QualityCase:
    kind: str
    subject: Subject
    entry: str | None  # the listed party's ref (true matches); None: someone else
    listed: str  # the listed party's ref the case was made from


def quality_set(rng: np.random.Generator, entries: Sequence[ListEntry]) -> list[QualityCase]:
    """Every variant and hard non-match each entry can give."""
    listed = {
        key for e in entries for n in e.names for key in name_forms(n.text, e.party_type).keys
    }
    cases: list[QualityCase] = []
    for entry in entries:
        cases += list(_variants(rng, entry))
        # someone else's name that is also a listed party's is no longer someone else's
        cases += [c for c in _hard(rng, entry) if c.kind == "common_name" or not _listed(c, listed)]
    return cases


def _listed(case: QualityCase, listed: set[str]) -> bool:
    """Whether the case's name is (or, but for a homophone, sounds like) a listed name."""
    keys = name_forms(case.subject.names[0]).keys
    if case.kind == "homophone":
        keys = frozenset(k for k in keys if k.startswith("H:"))
    return bool(keys & listed)


def _subject(entry: ListEntry, name: str, **changes: object) -> Subject:
    birth = entry.birth_dates[0] if entry.birth_dates else None
    fields: dict[str, object] = {
        "party_type": entry.party_type,
        "names": (name,),
        "birth_date": birth if birth and len(birth) == 10 else None,
        "nationality": entry.nationalities[0] if entry.nationalities else None,
    }
    fields.update(changes)
    return Subject(**fields)  # type: ignore[arg-type]


def _variants(rng: np.random.Generator, entry: ListEntry) -> Iterator[QualityCase]:
    name = entry.names[0].text

    def case(kind: str, text: str | None, **changes: object) -> Iterator[QualityCase]:
        if (text and text != name) or kind in ("exact", "id_number"):
            yield QualityCase(kind, _subject(entry, text or name, **changes), entry.ref, entry.ref)

    yield from case("exact", name)
    yield from (
        case("id_number", "某某某", birth_date=None, id_numbers=entry.id_numbers)
        if entry.id_numbers
        else iter(())
    )
    if entry.party_type == "entity":
        yield from case("entity_suffix", _other_suffix(name))
        return
    if _is_hanzi(name):
        syllables = [_char_readings(c, "pinyin")[0] for c in name]
        yield from case("traditional", _opencc("s2t").convert(name))
        yield from case("pinyin", _surname_first(syllables, upper=True))
        yield from case("pinyin_tones", _tones(name))
        yield from case(
            "spacing", syllables[0].upper() + " " + "-".join(s.capitalize() for s in syllables[1:])
        )
        yield from case(
            "order", "".join(syllables[1:]).capitalize() + " " + syllables[0].capitalize()
        )
        yield from case("heteronym", _heteronym(name))
        wade = [_char_readings(c, "wade_giles")[0] for c in name]
        yield from case("wade_giles", _wade_giles(name) if wade != syllables else None)
        trad = _opencc("s2t").convert(name)
        canto = [cantonese_readings(c, t)[0] for c, t in zip(name, trad, strict=True)]
        yield from case(
            "cantonese", " ".join(s.capitalize() for s in canto) if canto != syllables else None
        )
        return
    parts = name.split()
    yield from case(
        "spacing", "-".join(p.lower() for p in parts[:-1]) + " " + parts[-1].capitalize()
    )
    yield from case("order", parts[-1] + ", " + " ".join(parts[:-1]))
    other = " ".join(spelling_variant(p.lower(), rng).capitalize() for p in parts)
    yield from case("translit", other if other.lower() != name.lower() else None)
    for alias in entry.names[1:]:
        yield from case("alias", alias.text)
    yield from case("foreign_in_chinese", chinese_transliteration([p.lower() for p in parts]))


def _hard(rng: np.random.Generator, entry: ListEntry) -> Iterator[QualityCase]:
    name = entry.names[0].text
    birth = entry.birth_dates[0] if entry.birth_dates else "1970-01-01"
    other_year = f"{int(birth[:4]) + int(rng.choice([-9, -6, 6, 9])):04d}{birth[4:]}"
    if len(other_year) == 4:
        other_year += "-06-15"

    def case(kind: str, text: str | None, **changes: object) -> Iterator[QualityCase]:
        if (text and text != name) or kind == "common_name":
            yield QualityCase(kind, _subject(entry, text or name, **changes), None, entry.ref)

    if entry.party_type == "entity":
        return
    yield from case("common_name", name, birth_date=other_year)
    if _is_hanzi(name):
        sound = {_char_readings(c, "pinyin")[0] for c in name[1:]}
        given = [c for c in LIST_GIVEN if _char_readings(c, "pinyin")[0] not in sound]
        yield from case("same_surname", name[0] + "".join(rng.choice(given, len(name) - 1)))
        i = int(rng.integers(1, len(name)))
        yield from case("similar_given", name[:i] + str(rng.choice(given)) + name[i + 1 :])
        yield from case("homophone", _homophone(name))
        return
    parts = name.split()
    family = [f for f in FOREIGN_FAMILY if f.upper() != parts[-1]]
    yield from case("similar_foreign", " ".join(parts[:-1]) + " " + str(rng.choice(family)).upper())


def _is_hanzi(text: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in text)


def _surname_first(syllables: Sequence[str], upper: bool) -> str:
    surname = syllables[0].upper() if upper else syllables[0].capitalize()
    return surname + " " + "".join(syllables[1:]).capitalize()


def _tones(name: str) -> str:
    from pypinyin import Style, lazy_pinyin

    marked = lazy_pinyin(name, style=Style.TONE)
    return marked[0].capitalize() + " " + "".join(marked[1:]).capitalize()


def _wade_giles(name: str) -> str:
    parts = [_char_readings(c, "wade_giles")[0] for c in name]
    from pypinyin import Style, lazy_pinyin

    marked = [p.replace("v", "ü") for p in lazy_pinyin(name, style=Style.WADEGILES)]
    parts = marked or parts
    return parts[0].capitalize() + " " + "-".join(parts[1:]).capitalize()


def _heteronym(name: str) -> str | None:
    """The name romanised with another reading of its first polyphonic character."""
    readings = [list(_char_readings(c, "pinyin")) for c in name]
    surname = variants().surname_readings.get(name[0])
    if surname and surname in readings[0]:
        readings[0].remove(surname)
        readings[0].insert(0, surname)
    for i, options in enumerate(readings):
        if len(options) > 1:
            chosen = [r[0] for r in readings]
            chosen[i] = options[1]
            return _surname_first(chosen, upper=False)
    return None


def _homophone(name: str) -> str | None:
    """The name with one given-name character replaced by another that sounds the same."""
    for i in range(len(name) - 1, 0, -1):
        sound = _char_readings(name[i], "pinyin")[0]
        for other in _HOMOPHONE_POOL:
            if other != name[i] and _char_readings(other, "pinyin")[0] == sound:
                return name[:i] + other + name[i + 1 :]
    return None


def _other_suffix(name: str) -> str:
    if name.endswith("有限公司"):
        return name.removesuffix("有限公司") + "有限责任公司"
    return name.replace("Company Limited", "Co., Ltd.")


def kinds() -> list[str]:
    return [*VARIANT_KINDS, *HARD_KINDS]
