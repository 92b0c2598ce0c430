"""A name's forms for list screening: the name as written, its simplified Hanzi, and its
romanisations, each reduced to the keys two names of one person share.

A Chinese name (Hanzi) is romanised the ways its bearer's documents may spell it: Hanyu
pinyin with every reading of a polyphonic character (pypinyin), Wade-Giles (Taiwan) and the
Hong Kong government's Cantonese romanisation (Hong Kong, Macao; `cantonese-romanisation`),
after converting traditional to simplified characters and back (OpenCC). A foreign name
written in Chinese (parts joined by "·") is read part by part through the standard
transliterations of `variants.toml`. A Latin name loses case, accents, tone marks and numbers,
apostrophes and hyphens; Arabic articles and entity suffixes are dropped and each part takes
the canonical spelling of its variant group (Mohammed → muhammad).

Keys (`NameForms.keys`) only decide which pairs are compared: "H:" the simplified Hanzi,
"R:" a romanisation with its parts run together (surname first and, for Latin names, the
orders a name may be written in), "S:" a consonant skeleton of a Latin name's parts (sorted)
that brings spelling variants the groups do not know together. `screening.score` then
scores each pair.
"""

from __future__ import annotations

import itertools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

Script = Literal["hanzi", "latin"]
PartyType = Literal["individual", "entity"]

PINYIN = "pinyin"  # Hanyu pinyin, each character's most common reading
HETERONYM = "heteronym"  # pinyin with another reading of a polyphonic character
WADE_GILES = "wade_giles"
CANTONESE = "cantonese"
TRANSLIT = "translit"  # a foreign name written in Chinese, read through the transliterations
LATIN = "latin"

_MAX_READINGS = 64  # readings of one name kept (polyphonic characters multiply them)
_HANZI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_FOREIGN_DOT = re.compile(r"[·・•‧.．]")
_NOT_WORD = re.compile(r"[^\w]+")
_SKELETON_DROP = re.compile(r"[aeiouyhw]")
_SKELETON_LETTERS = str.maketrans({"q": "k", "c": "k", "z": "s", "v": "f"})


@dataclass(frozen=True, slots=True)
class Rendering:
    """One way of writing a name in Latin letters: its parts, surname first for Chinese."""

    system: str
    parts: tuple[str, ...]

    @property
    def compact(self) -> str:
        return "".join(self.parts)


@dataclass(frozen=True, slots=True)
class NameForms:
    """A name's forms: what `score` compares and the keys that bring candidates together."""

    text: str  # as given: NFKC, spaces collapsed
    plain: str  # casefolded, without spaces or punctuation: equal plains are one name
    script: Script
    simplified: str  # a Hanzi name in simplified characters without separators ("" if Latin)
    renderings: tuple[Rendering, ...]  # Latin: one, in the order written
    suffix_removed: bool  # an entity suffix was dropped
    variant_used: bool  # a part took its variant group's canonical spelling
    keys: frozenset[str]


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


def name_forms(name: str, party_type: PartyType = "individual") -> NameForms:
    """The forms of `name` (a person's or an entity's, as `party_type` says)."""
    text = " ".join(unicodedata.normalize("NFKC", name).split())
    plain = _NOT_WORD.sub("", text.casefold())
    if _HANZI.search(text):
        return _hanzi_forms(text, plain, party_type)
    return _latin_forms(text, plain, party_type)


def lookup_keys(
    names: Sequence[tuple[str, PartyType]], prefixes: frozenset[str]
) -> list[frozenset[str]]:
    """For each (name, party type), the keys of its `name_forms` that a list with these key
    `prefixes` may hold: the same candidates, found without building every name's forms (the
    Chinese names' conversions run in one batch, their readings are walked with pruning)."""
    texts = [" ".join(unicodedata.normalize("NFKC", name).split()) for name, _ in names]
    chinese = [
        i for i, text in enumerate(texts) if _HANZI.search(text) and not _FOREIGN_DOT.search(text)
    ]
    simplified = _convert_many([texts[i] for i in chinese], "t2s")
    keys: list[frozenset[str]] = [frozenset()] * len(names)
    plain: dict[int, str] = {}
    for i, text in zip(chinese, simplified, strict=True):
        if names[i][1] == "entity":
            text, _ = _without_hanzi_suffixes(text)
        if _FOREIGN_DOT.search(text):
            continue
        plain[i] = _NOT_WORD.sub("", text)
    traditional = _convert_many(list(plain.values()), "s2t")
    for (i, simple), trad in zip(plain.items(), traditional, strict=True):
        keys[i] = frozenset({"H:" + simple} | romanised_keys(simple, trad, prefixes))
    for i, (name, party_type) in enumerate(names):
        if i not in plain:
            keys[i] = name_forms(name, party_type).keys
    return keys


def _convert_many(texts: list[str], config: str) -> list[str]:
    """OpenCC over many short texts in one call (a line each)."""
    if not texts:
        return []
    converted = _opencc(config).convert("\n".join(t.replace("\n", " ") for t in texts))
    lines = converted.split("\n")
    if len(lines) != len(texts):  # a conversion that changed the line count: one at a time
        return [_opencc(config).convert(t) for t in texts]
    return lines


def _hanzi_forms(text: str, plain: str, party_type: PartyType) -> NameForms:
    simplified_text = _opencc("t2s").convert(text)
    suffix_removed = False
    if party_type == "entity":
        simplified_text, suffix_removed = _without_hanzi_suffixes(simplified_text)
    if _FOREIGN_DOT.search(simplified_text):
        return _foreign_hanzi_forms(text, plain, simplified_text, suffix_removed)
    simplified = _NOT_WORD.sub("", simplified_text)
    renderings = _chinese_renderings(simplified)
    traditional = _opencc("s2t").convert(simplified)
    keys = {"H:" + simplified} | {"R:" + r.compact for r in renderings}
    keys |= romanised_keys(simplified, traditional)
    return NameForms(
        text, plain, "hanzi", simplified, renderings, suffix_removed, False, frozenset(keys)
    )


def _foreign_hanzi_forms(
    text: str, plain: str, simplified_text: str, suffix_removed: bool
) -> NameForms:
    table = variants().hanzi_parts
    parts: list[str] = []
    for segment in _FOREIGN_DOT.split(simplified_text):
        segment = _NOT_WORD.sub("", segment)
        if segment:
            parts.append(table.get(segment) or "".join(_readings(segment, PINYIN)[0]))
    simplified = _NOT_WORD.sub("", simplified_text)
    rendering = Rendering(TRANSLIT, tuple(parts))
    keys = {"H:" + simplified} | _latin_keys(rendering.parts)
    return NameForms(
        text, plain, "hanzi", simplified, (rendering,), suffix_removed, True, frozenset(keys)
    )


def _latin_forms(text: str, plain: str, party_type: PartyType) -> NameForms:
    table = variants()
    words = _latin_words(text, keep_digits=party_type == "entity")
    suffix_removed = False
    if party_type == "entity":
        kept = [w for w in words if w not in table.suffixes_latin]
        suffix_removed = len(kept) < len(words) and bool(kept)
        words = kept or words
    canonical = [table.latin.get(w, w) for w in words]
    variant_used = canonical != words
    rendering = Rendering(LATIN, tuple(canonical))
    return NameForms(
        text,
        plain,
        "latin",
        "",
        (rendering,),
        suffix_removed,
        variant_used,
        frozenset(_latin_keys(rendering.parts)),
    )


def _latin_words(text: str, keep_digits: bool) -> list[str]:
    """Lowercase ASCII words: accents, tone marks and apostrophes gone, hyphens split, tone
    numbers dropped, Arabic articles dropped."""
    table = variants()
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = folded.replace("'", "").replace("’", "").replace("ʼ", "").replace("`", "")
    words: list[str] = []
    for chunk in folded.split():
        pieces = [p for p in re.split(r"[-‐‑–_]+", chunk) if p]
        for i, piece in enumerate(pieces):
            word = _NOT_WORD.sub("", piece) if keep_digits else re.sub(r"[^a-z]", "", piece)
            if not word:
                continue
            prefix = i + 1 < len(pieces) and word in table.prefix_articles
            if prefix or (word in table.articles and len(pieces) == 1):
                continue
            words.append(word)
    return words


def _latin_keys(parts: Sequence[str]) -> set[str]:
    """The run-together orders a name's parts may be written in, and its skeleton."""
    parts = list(parts)
    if not parts:
        return set()
    orders = {tuple(parts)}
    if len(parts) > 1:
        orders.add((parts[-1], *parts[:-1]))  # given names first → surname first
        orders.add((*parts[1:], parts[0]))  # surname first → given names first
    keys = {"R:" + "".join(order) for order in orders}
    keys.add("S:" + " ".join(sorted(skeleton(p) for p in parts)))
    return keys


def skeleton(part: str) -> str:
    """A part's consonant skeleton: first letter (any vowel as "a"), then its consonants
    without h / w, a few letters that spell one sound merged, repeats collapsed."""
    part = part.translate(_SKELETON_LETTERS)
    first = "a" if part[0] in "aeiouy" else part[0]
    rest = _SKELETON_DROP.sub("", part[1:])
    return re.sub(r"(.)\1+", r"\1", first + rest)


def _without_hanzi_suffixes(text: str) -> tuple[str, bool]:
    removed = False
    for suffix in variants().suffixes_hanzi:
        while text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            removed = True
    return text, removed


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


def _readings(simplified: str, system: str) -> list[tuple[str, ...]]:
    """The name's readings in `system`, the most common first, at most `_MAX_READINGS`."""
    chars = _opencc("s2t").convert(simplified) if system == CANTONESE else simplified
    per_char = [_char_readings(c, system) for c in chars]
    surname = variants().surname_readings.get(chars[:1]) if system == PINYIN else None
    if surname in per_char[0]:
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
    options = mixed_readings(simplified, traditional)
    found: set[str] = set()
    stack = [("", 0)]
    while stack:
        prefix, i = stack.pop()
        if i == len(options):
            found.add("R:" + prefix)
            if prefixes is None and len(found) >= _MAX_READINGS:
                break
            continue
        for reading in reversed(options[i]):  # the most common reading is walked first
            longer = prefix + reading
            if prefixes is None or longer in prefixes:
                stack.append((longer, i + 1))
    return found


def mixed_readings(simplified: str, traditional: str) -> list[tuple[str, ...]]:
    """Each character's readings in pinyin, Wade-Giles and Cantonese, the most common first."""
    if len(traditional) != len(simplified):
        traditional = simplified
    surname = variants().surname_readings.get(simplified[:1])
    options: list[tuple[str, ...]] = []
    for i, (simple, trad) in enumerate(zip(simplified, traditional, strict=True)):
        first = (surname,) if i == 0 and surname else ()
        readings = (
            *first,
            *_char_readings(simple, PINYIN),
            *_char_readings(simple, WADE_GILES),
            *_char_readings(trad, CANTONESE),
        )
        options.append(tuple(dict.fromkeys(readings)))
    return options


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
        found = pinyin(char, style=style, heteronym=True, errors="ignore")[0] if char else ()
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


def birth_date_of_resident_id(number: str) -> str | None:
    """The birth date (YYYY-MM-DD) a mainland resident ID number carries, if it carries one."""
    digits = number.strip().upper()
    if len(digits) == 18 and digits[:17].isdigit():
        text = digits[6:14]
    elif len(digits) == 15 and digits.isdigit():
        text = "19" + digits[6:12]
    else:
        return None
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"


def id_key(number: str) -> str:
    """An identity document number as compared: upper case, letters and digits only."""
    return re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", number).upper())
