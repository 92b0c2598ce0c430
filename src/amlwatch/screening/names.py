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
"P:" a Chinese name's Mandarin reading (each character's most common one), "R:" a
romanisation with its parts run together (surname first and, for Latin names, the orders a
name may be written in), "S:" a consonant skeleton of a Latin name's parts (sorted) that
brings spelling variants the groups do not know together. `screening.score` then scores
each pair.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from amlwatch.screening.readings import CANTONESE as CANTONESE
from amlwatch.screening.readings import HETERONYM as HETERONYM
from amlwatch.screening.readings import LATIN as LATIN
from amlwatch.screening.readings import PINYIN as PINYIN
from amlwatch.screening.readings import TRANSLIT as TRANSLIT
from amlwatch.screening.readings import WADE_GILES as WADE_GILES
from amlwatch.screening.readings import Rendering as Rendering
from amlwatch.screening.readings import _cantonese as _cantonese
from amlwatch.screening.readings import _char_readings as _char_readings
from amlwatch.screening.readings import _chinese_renderings, _convert_many, _readings
from amlwatch.screening.readings import _opencc as _opencc
from amlwatch.screening.readings import mandarin as mandarin
from amlwatch.screening.readings import romanised_keys as romanised_keys
from amlwatch.screening.readings import variants as variants

Script = Literal["hanzi", "latin"]
PartyType = Literal["individual", "entity"]

_HANZI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_FOREIGN_DOT = re.compile(r"[·・•‧.．]")
_NOT_WORD = re.compile(r"[^\w]+")
_SKELETON_DROP = re.compile(r"[aeiouyhw]")
_SKELETON_LETTERS = str.maketrans({"q": "k", "c": "k", "z": "s", "v": "f"})


@dataclass(frozen=True, slots=True)
class NameForms:
    """A name's forms: what `score` compares and the keys that bring candidates together."""

    text: str  # as given: NFKC, spaces collapsed
    plain: str  # casefolded, without spaces or punctuation: equal plains are one name
    script: Script
    simplified: str  # a Hanzi name in simplified characters without separators ("" if Latin)
    written: tuple[Rendering, ...]  # Latin: one, in the order written; a Chinese name: none
    suffix_removed: bool  # an entity suffix was dropped
    variant_used: bool  # a part took its variant group's canonical spelling
    keys: frozenset[str]

    @property
    def renderings(self) -> tuple[Rendering, ...]:
        """The name in Latin letters: as written, or a Chinese name's romanisations (pinyin
        in each reading, Wade-Giles, Cantonese), worked out when a score needs them."""
        return self.written or _chinese_renderings(self.simplified)


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
    """For each (name, party type), the keys of its `name_forms` that can bring it together
    with a listed name, found without building every name's forms: a Chinese name's "H:"
    and "P:" keys (for listed Chinese names) and those of its "R:" keys that a listed Latin
    name has (`prefixes`: every beginning of those; the readings are walked with pruning).
    The Chinese names' conversions run in one batch."""
    texts = [" ".join(unicodedata.normalize("NFKC", name).split()) for name, _ in names]
    chinese = [
        i for i, text in enumerate(texts) if _HANZI.search(text) and not _FOREIGN_DOT.search(text)
    ]
    simplified = _convert_many([texts[i] for i in chinese], "t2s")  # one call for them all
    keys: list[frozenset[str]] = [frozenset()] * len(names)
    plain: dict[int, str] = {}
    for i, text in zip(chinese, simplified, strict=True):
        if names[i][1] == "entity":
            text, _ = _without_hanzi_suffixes(text)
        if _FOREIGN_DOT.search(text):
            continue
        plain[i] = _NOT_WORD.sub("", text)
    traditional = _convert_many(list(plain.values()), "s2t")
    found: dict[str, frozenset[str]] = {}  # a name as a person's and as an entity's: once
    for (i, simple), trad in zip(plain.items(), traditional, strict=True):
        if simple not in found:
            own = {"H:" + simple, "P:" + mandarin(simple)}
            found[simple] = frozenset(own | romanised_keys(simple, trad, prefixes))
        keys[i] = found[simple]
    for i, (name, party_type) in enumerate(names):
        if i not in plain:
            keys[i] = name_forms(name, party_type).keys
    return keys


def _hanzi_forms(text: str, plain: str, party_type: PartyType) -> NameForms:
    simplified_text = _opencc("t2s").convert(text)
    suffix_removed = False
    if party_type == "entity":
        simplified_text, suffix_removed = _without_hanzi_suffixes(simplified_text)
    if _FOREIGN_DOT.search(simplified_text):
        return _foreign_hanzi_forms(text, plain, simplified_text, suffix_removed)
    simplified = _NOT_WORD.sub("", simplified_text)
    traditional = _opencc("s2t").convert(simplified)
    keys = {"H:" + simplified, "P:" + mandarin(simplified)}
    for system in (PINYIN, WADE_GILES, CANTONESE):
        keys.update("R:" + "".join(parts) for parts in _readings(simplified, system, traditional))
    keys |= romanised_keys(simplified, traditional)
    return NameForms(text, plain, "hanzi", simplified, (), suffix_removed, False, frozenset(keys))


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


def key_prefixes(keys: Iterable[str]) -> frozenset[str]:
    """Every beginning of the "R:" keys (without the tag): what a Chinese name's readings are
    walked against (`romanised_keys`)."""
    return frozenset(k[2:i] for k in keys if k.startswith("R:") for i in range(3, len(k) + 1))


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
