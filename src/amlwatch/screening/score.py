"""How alike a screened party and a list entry are: a score from 0 to 100 with the reasons
that made it.

The name decides the score's base: the closer the two names' forms, the higher (a name written
alike 100; the same characters in simplified and traditional form 100; the same Latin name
with another spelling of a part, another order or other punctuation 95–97; a Chinese name and
its romanisation 92–95; two Chinese names that only sound alike 78; anything else by edit
similarity, at most 92). Strong qualifiers then move it, as name matchers for sanctions do
(nomenklatura's logic scores, OFAC's and Moov watchman's): an identity document number or an
account number in common is a hit by itself; a birth date in common raises the score and a
birth year far from every listed one lowers it a lot; a nationality in common raises it a
little and a different one lowers it. The hit and review thresholds are settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from amlwatch.screening.names import (
    CANTONESE,
    HETERONYM,
    PINYIN,
    TRANSLIT,
    WADE_GILES,
    NameForms,
    _opencc,
    key_prefixes,
    romanised_keys,
)

# The base score of each way two names can be one name; see the module docstring.
NAME_EXACT, NAME_T2S, NAME_FORMAT, NAME_VARIANT, NAME_ORDER = 100, 100, 97, 96, 95
ROMANISED = {PINYIN: 95, HETERONYM: 93, WADE_GILES: 93, CANTONESE: 93, TRANSLIT: 92}
MIXED = 85  # a Chinese name romanised in several systems at once: needs a qualifier for a hit
HOMOPHONE = 78
SOUND_ALIKE = 60  # alike only in another reading or romanisation: below any review threshold
FUZZY_CEILING = 0.92  # an edit-similar name scores at most 92: it needs a qualifier for a hit

DOB_MATCH, DOB_YEAR, DOB_MISMATCH = 6, 3, -30
NATIONALITY_MATCH, NATIONALITY_MISMATCH = 4, -15
WEAK_ALIAS = -8
# a short person's name (up to three characters or words) matched with nothing to tell two
# people apart — the entry gives a birth date, the party none and no identity number — is for
# review, never a hit by itself: 王伟 paid by a counterparty is not the listed 王伟
NAME_ONLY_CEILING = 88
MAX_BONUS = DOB_MATCH + NATIONALITY_MATCH  # the most qualifiers can add to a name's score

# reason code → what a liaison reads (codes are shown beside the label)
REASONS: dict[str, str] = {
    "ID_MATCH": "证件号码一致",
    "ACCOUNT_MATCH": "账号一致",
    "NAME_EXACT": "名称完全一致",
    "NAME_T2S": "简繁体转换后一致",
    "NAME_FORMAT": "大小写、声调、空格或连字符不同",
    "NAME_VARIANT": "外文音译拼写变体",
    "NAME_ORDER": "姓名顺序不同",
    "PINYIN": "汉字与汉语拼音一致",
    "HETERONYM": "多音字的另一读音",
    "WADE_GILES": "威妥玛拼音（台湾）一致",
    "CANTONESE": "粤语拼音（港澳）一致",
    "TRANSLIT": "外国人名中文音译一致",
    "MIXED": "混合拼写（港台常见）一致",
    "HOMOPHONE": "同音不同字",
    "SOUND_ALIKE": "仅在其他读音或拼写方式下相近",
    "FUZZY": "拼写相近",
    "ENTITY_SUFFIX": "去除机构后缀后一致",
    "ALIAS": "与别名一致",
    "WEAK_ALIAS": "与低质量别名一致（减分）",
    "ORIGINAL_SCRIPT": "与原文名称一致",
    "NO_QUALIFIER": "仅姓名一致，无出生日期或证件可比对（不作命中）",
    "DOB_MATCH": "出生日期一致",
    "DOB_YEAR": "出生年份一致",
    "DOB_MISMATCH": "出生年份不符（减分）",
    "NATIONALITY_MATCH": "国籍一致",
    "NATIONALITY_MISMATCH": "国籍不同（减分）",
}


@dataclass(frozen=True, slots=True)
class NameScore:
    score: int
    reasons: tuple[str, ...]


def name_score(query: NameForms, entry: NameForms) -> NameScore:
    """How alike two names are, with the reasons (before any qualifier)."""
    suffix = ("ENTITY_SUFFIX",) if query.suffix_removed or entry.suffix_removed else ()
    if query.plain == entry.plain:
        return NameScore(NAME_EXACT, ("NAME_EXACT",))
    if query.script == "hanzi" and entry.script == "hanzi":
        if query.simplified == entry.simplified:
            return NameScore(NAME_T2S, ("NAME_T2S", *suffix))
        if TRANSLIT in (query.renderings[0].system, entry.renderings[0].system):
            if _romanised(query) & _romanised(entry):
                return NameScore(ROMANISED[TRANSLIT], ("TRANSLIT", *suffix))
            return _fuzzy(query, entry, suffix)
        # two Chinese names in characters are one name only if the characters are: sounding
        # alike in Mandarin is for a person to judge, never a hit by itself; alike only in
        # another reading or system is too far to put to anyone
        if query.renderings[0].compact == entry.renderings[0].compact:
            return NameScore(HOMOPHONE, ("HOMOPHONE", *suffix))
        return NameScore(SOUND_ALIKE, ("SOUND_ALIKE", *suffix))
    if query.script == "latin" and entry.script == "latin":
        q, e = query.renderings[0], entry.renderings[0]
        if q.parts == e.parts:
            variant = query.variant_used or entry.variant_used
            code = "NAME_VARIANT" if variant else "NAME_FORMAT"
            return NameScore(NAME_VARIANT if variant else NAME_FORMAT, (code, *suffix))
        if query.keys & entry.keys & _r_keys(query):
            return NameScore(NAME_ORDER, ("NAME_ORDER", *suffix))
        return _fuzzy(query, entry, suffix)
    hanzi, latin = (query, entry) if query.script == "hanzi" else (entry, query)
    written = _r_keys(latin)
    best: tuple[int, str] | None = None
    for rendering in hanzi.renderings:
        if "R:" + rendering.compact in written:
            score = ROMANISED[rendering.system]
            if best is None or score > best[0]:
                best = (score, rendering.system.upper())
    if best is not None:
        return NameScore(best[0], (best[1], *suffix))
    if written & romanised_keys(
        hanzi.simplified, _traditional(hanzi.simplified), key_prefixes(written)
    ):
        return NameScore(MIXED, ("MIXED", *suffix))
    return _fuzzy(query, entry, suffix)


def _traditional(simplified: str) -> str:
    return _opencc("s2t").convert(simplified)


def _fuzzy(query: NameForms, entry: NameForms, suffix: tuple[str, ...]) -> NameScore:
    best = 0.0
    for q in _compacts(query):
        for e in _compacts(entry):
            best = max(best, fuzz.ratio(q, e))
    return NameScore(int(best * FUZZY_CEILING), ("FUZZY", *suffix))


def _compacts(forms: NameForms) -> list[str]:
    if forms.script == "hanzi" and forms.renderings[0].system != TRANSLIT:
        return [r.compact for r in forms.renderings]
    return [k[2:] for k in forms.keys if k.startswith("R:")]


def _r_keys(forms: NameForms) -> frozenset[str]:
    return frozenset(k for k in forms.keys if k.startswith("R:"))


def _romanised(forms: NameForms) -> frozenset[str]:
    return frozenset(r.compact for r in forms.renderings)


def qualifier_adjustment(
    birth_date: str | None,
    listed_births: Sequence[str],
    nationality: str | None,
    listed_nationalities: Sequence[str],
) -> tuple[int, tuple[str, ...]]:
    """What a birth date and a nationality add to or take from a name's score."""
    points, reasons = 0, []
    if birth_date and listed_births:
        year = int(birth_date[:4])
        if any(birth_date == listed for listed in listed_births):
            points, reasons = points + DOB_MATCH, ["DOB_MATCH"]
        elif any(year == int(listed[:4]) for listed in listed_births):
            points, reasons = points + DOB_YEAR, ["DOB_YEAR"]
        elif all(abs(year - int(listed[:4])) > 1 for listed in listed_births):
            points, reasons = points + DOB_MISMATCH, ["DOB_MISMATCH"]
    if nationality and listed_nationalities:
        if nationality in listed_nationalities:
            points, reasons = points + NATIONALITY_MATCH, [*reasons, "NATIONALITY_MATCH"]
        else:
            points, reasons = points + NATIONALITY_MISMATCH, [*reasons, "NATIONALITY_MISMATCH"]
    return points, tuple(reasons)


def name_only(
    forms: NameForms, listed_births: Sequence[str], birth: str | None, ids: Sequence[str]
) -> bool:
    """Whether a match on this listed person's name has nothing else to rest on and the name
    is short enough to be many people's."""
    if not listed_births or birth or ids:
        return False
    size = (
        len(forms.simplified)
        if forms.renderings[0].system != TRANSLIT and forms.script == "hanzi"
        else len(forms.renderings[0].parts)
    )
    return size <= 3


def clamp(score: int) -> int:
    """A score in 0–100."""
    return max(0, min(100, score))
