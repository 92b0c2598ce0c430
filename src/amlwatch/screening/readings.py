"""A Chinese name's readings: Hanyu pinyin in every reading of a polyphonic character
(pypinyin), Wade-Giles, the Hong Kong government's and Macao's Cantonese romanisations
(`cantonese-romanisation` and the rules of `variants.toml`), systems mixed; simplified and
traditional characters (OpenCC). Used by `screening.names`."""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

PINYIN = "pinyin"  # Hanyu pinyin, each character's most common reading
HETERONYM = "heteronym"  # pinyin with another reading of a polyphonic character
WADE_GILES = "wade_giles"
CANTONESE = "cantonese"
TRANSLIT = "translit"  # a foreign name written in Chinese, read through the transliterations
LATIN = "latin"

_MAX_READINGS = 64  # readings of one name kept (polyphonic characters multiply them)


@dataclass(frozen=True, slots=True)
class Rendering:
    """One way of writing a name in Latin letters: its parts, surname first for Chinese."""

    system: str
    parts: tuple[str, ...]

    @property
    def compact(self) -> str:
        return "".join(self.parts)


@dataclass(frozen=True)
class _Variants:
    latin: dict[str, str]
    articles: frozenset[str]
    prefix_articles: frozenset[str]
    suffixes_latin: frozenset[str]
    suffixes_hanzi: tuple[str, ...]  # longest first
    hanzi_parts: dict[str, str]
    surname_readings: dict[str, str]
    hong_kong: tuple[tuple[re.Pattern[str], str], ...]
    macao: tuple[tuple[re.Pattern[str], str], ...]


@cache
def variants() -> _Variants:
    """The variant groups, articles, suffixes and transliterations of `variants.toml`."""
    data = tomllib.loads(resources.files(__package__).joinpath("variants.toml").read_text("utf-8"))
    latin = {spelling: group[0] for group in data["latin"]["groups"] for spelling in group}
    suffixes = data["entity_suffixes"]
    return _Variants(
        latin=latin,
        articles=frozenset(data["latin"]["articles"]),
        prefix_articles=frozenset(data["latin"]["prefix_articles"]),
        suffixes_latin=frozenset(suffixes["latin"]),
        suffixes_hanzi=tuple(sorted(suffixes["hanzi"], key=len, reverse=True)),
        hanzi_parts={part: latin for part, latin in data["hanzi"]["parts"]},
        surname_readings={char: reading for char, reading in data["hanzi"]["surname_readings"]},
        hong_kong=tuple((re.compile(r), s) for r, s in data["cantonese"]["hong_kong"]),
        macao=tuple((re.compile(rule), spelling) for rule, spelling in data["cantonese"]["macao"]),
    )


def mandarin(simplified: str) -> str:
    """A Chinese name's Mandarin reading: each character's most common reading (a surname's
    as a surname), run together."""
    if not simplified:
        return ""
    surname = variants().surname_readings.get(simplified[0])
    first = surname or _char_readings(simplified[0], PINYIN)[0]
    return first + "".join(_char_readings(c, PINYIN)[0] for c in simplified[1:])


def _convert_many(texts: list[str], config: str) -> list[str]:
    """OpenCC over many short texts in one call (a line each)."""
    if not texts:
        return []
    converted = _opencc(config).convert("\n".join(t.replace("\n", " ") for t in texts))
    lines = converted.split("\n")
    if len(lines) != len(texts):  # a conversion that changed the line count: one at a time
        return [_opencc(config).convert(t) for t in texts]
    return lines


@lru_cache(maxsize=65_536)
def _chinese_renderings(simplified: str) -> tuple[Rendering, ...]:
    """Pinyin (each reading, most common first), Wade-Giles and Cantonese renderings."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    renderings: list[Rendering] = []
    for system in (PINYIN, WADE_GILES, CANTONESE):
        for i, parts in enumerate(_readings(simplified, system)):
            name = HETERONYM if system == PINYIN and i > 0 else system
            if (name, parts) not in seen:
                seen.add((name, parts))
                renderings.append(Rendering(name, parts))
    return tuple(renderings)


def _readings(
    simplified: str, system: str, traditional: str | None = None
) -> list[tuple[str, ...]]:
    """The name's readings in `system`, the most common first, at most `_MAX_READINGS`."""
    if system == CANTONESE:
        trad = traditional if traditional is not None else _opencc("s2t").convert(simplified)
        if len(trad) != len(simplified):
            trad = simplified
        per_char = [cantonese_readings(c, t) for c, t in zip(simplified, trad, strict=True)]
        chars = trad
    else:
        chars = simplified
        per_char = [_char_readings(c, system) for c in chars]
    surname = variants().surname_readings.get(chars[:1]) if system == PINYIN else None
    if surname and per_char and surname in per_char[0]:
        per_char[0] = (surname, *(r for r in per_char[0] if r != surname))
    return list(itertools.islice(itertools.product(*per_char), _MAX_READINGS))


def romanised_keys(
    simplified: str, traditional: str, prefixes: frozenset[str] | None = None
) -> set[str]:
    """The "R:" keys of a Chinese name: each character in any of its readings, systems mixed
    as names from Taiwan and Hong Kong often are ("Lee Teng-hui": a Cantonese surname, Wade-
    Giles given names). With `prefixes` (a list's keys and all their beginnings) the walk stops
    where no list key goes on, and finds every such key; without, it stops after
    `_MAX_READINGS` keys."""
    if prefixes is not None:
        return _walk(
            simplified, traditional if len(traditional) == len(simplified) else simplified, prefixes
        )
    options = mixed_readings(simplified, traditional)
    found: set[str] = set()
    stack = [("", 0)]
    while stack:
        prefix, i = stack.pop()
        if i == len(options):
            found.add("R:" + prefix)
            if len(found) >= _MAX_READINGS:
                break
            continue
        for reading in reversed(options[i]):  # the most common reading is walked first
            stack.append((prefix + reading, i + 1))
    return found


def _walk(simplified: str, traditional: str, prefixes: frozenset[str]) -> set[str]:
    """The walk of `romanised_keys` towards a list's keys, a character's readings looked up
    only when the walk reaches it (most names stop at their first or second character)."""
    surname = variants().surname_readings.get(simplified[:1])
    size = len(simplified)
    found: set[str] = set()
    stack = [("", 0)]
    while stack:
        prefix, i = stack.pop()
        if i == size:
            found.add("R:" + prefix)
            continue
        readings = _mixed_char(simplified[i], traditional[i])
        if i == 0 and surname:
            readings = (surname, *readings)
        for reading in readings:
            longer = prefix + reading
            if longer in prefixes:
                stack.append((longer, i + 1))
    return found


def mixed_readings(simplified: str, traditional: str) -> list[tuple[str, ...]]:
    """Each character's readings in pinyin, Wade-Giles and Cantonese, the most common first."""
    if len(traditional) != len(simplified):
        traditional = simplified
    options = [
        _mixed_char(simple, trad) for simple, trad in zip(simplified, traditional, strict=True)
    ]
    surname = variants().surname_readings.get(simplified[:1])
    if surname and options:
        options[0] = (surname, *(r for r in options[0] if r != surname))
    return options


@cache
def _mixed_char(simple: str, trad: str) -> tuple[str, ...]:
    readings = (
        *_char_readings(simple, PINYIN),
        *_char_readings(simple, WADE_GILES),
        *cantonese_readings(simple, trad),
    )
    return tuple(dict.fromkeys(readings))


def cantonese_readings(simple: str, trad: str) -> tuple[str, ...]:
    """A character's Cantonese readings, by its traditional form, else its simplified one (the
    table has 俊 but not the 儁 OpenCC may give for it)."""
    readings = _char_readings(trad, CANTONESE)
    if readings == (trad.casefold(),) and trad != simple:
        return _char_readings(simple, CANTONESE)
    return readings


@cache
def _char_readings(char: str, system: str) -> tuple[str, ...]:
    """One character's readings in `system`, plain lowercase ASCII, the most common first."""
    if system == CANTONESE:
        table = _cantonese().get(char, [])
        hong_kong = [*table, *(rule.sub(s, r) for r in table for rule, s in variants().hong_kong)]
        macao = [rule.sub(spelling, r) for r in hong_kong for rule, spelling in variants().macao]
        found: Iterable[str] = [*hong_kong, *macao]
    else:
        from pypinyin import Style, pinyin

        style = Style.WADEGILES if system == WADE_GILES else Style.NORMAL
        read = pinyin(char, style=style, heteronym=True, errors="ignore") if char else []
        found = read[0] if read else ()  # a character pypinyin does not know: none
    readings: list[str] = []
    for reading in found:
        spellings = [reading]
        if system != CANTONESE and ("ü" in reading or "v" in reading):
            # ü (pypinyin's v) is written u, yu (passports: LYU) or v
            spellings = [
                reading.replace(c, u) for c in "üv" if c in reading for u in ("u", "yu", "v")
            ]
        for spelling in spellings:
            plain = re.sub(r"[^a-z]", "", spelling)
            if plain and plain not in readings:
                readings.append(plain)
    return tuple(readings) or (char.casefold(),)


@cache
def _cantonese() -> dict[str, list[str]]:
    from cantoroman import Cantonese

    table: dict[str, list[str]] = Cantonese().charToRoman
    return table


@cache
def _opencc(config: str):  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC(config)
