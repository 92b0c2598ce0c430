"""A name's forms: what each variant kind reduces to, and the fast key lookup that must give
the same candidates as the full forms."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlwatch.screening.names import (
    _char_readings,
    birth_date_of_resident_id,
    id_key,
    lookup_keys,
    name_forms,
    skeleton,
    variants,
)
from amlwatch.synth.lists import LIST_GIVEN, LIST_SURNAMES, POLYPHONIC_SURNAMES


def test_traditional_and_simplified_are_one_name():
    assert name_forms("陳水扁").simplified == name_forms("陈水扁").simplified == "陈水扁"


def test_latin_forms_lose_case_tones_numbers_hyphens_and_apostrophes():
    for written in ("Zhāng Wěi-Míng", "ZHANG wei ming", "Zhang1 Wei3ming2", "zhang-weiming"):
        assert "R:zhangweiming" in name_forms(written).keys, written
    assert "R:chenshuipien" in name_forms("Ch'en Shui-pien").keys


def test_given_name_first_is_also_keyed_surname_first():
    assert "R:zhangweiming" in name_forms("Weiming Zhang").keys
    assert "R:zhangweiming" in name_forms("Wei-Ming ZHANG").keys


def test_a_chinese_name_is_keyed_in_every_reading_and_system():
    keys = name_forms("曾志伟").keys
    assert {"R:zengzhiwei", "R:cengzhiwei", "R:tsengchihwei", "R:tsangchiwai"} <= keys
    assert "H:曾志伟" in keys


def test_macao_and_hong_kong_spellings_are_readings():
    assert "leong" in _char_readings("梁", "cantonese")
    assert "chun" in _char_readings("振", "cantonese")  # the table says jan; ID cards say Chun
    assert "vai" in _char_readings("偉", "cantonese")


def test_umlaut_u_is_written_u_yu_or_v():
    assert {"lu", "lyu", "lv"} <= set(_char_readings("吕", "pinyin"))


def test_variant_spellings_share_the_canonical_part():
    for written in ("Mohammed Ali", "Muhammad Ali", "MOHAMAD aly"):
        assert "R:muhammadali" in name_forms(written).keys, written


def test_arabic_articles_are_dropped_but_a_chinese_an_is_kept():
    assert name_forms("Abu Bakr al-Baghdadi").renderings[0].parts == ("abu", "bakr", "baghdadi")
    assert name_forms("Al Baghdadi").renderings[0].parts == ("baghdadi",)
    assert name_forms("An Ning").renderings[0].parts == ("an", "ning")


def test_entity_suffixes_are_dropped_in_both_scripts():
    latin = name_forms("Crescent Shipping Co., Ltd.", "entity")
    assert latin.renderings[0].parts == ("crescent", "shipping") and latin.suffix_removed
    hanzi = name_forms("北京华信贸易有限责任公司", "entity")
    assert hanzi.simplified == "北京华信" and hanzi.suffix_removed
    # a person's name is never cut
    assert name_forms("Limited Co", "individual").renderings[0].parts == ("limited", "co")


def test_foreign_names_written_in_chinese_read_through_the_transliterations():
    forms = name_forms("穆罕默德·阿里")
    assert forms.renderings[0].system == "translit"
    assert "R:muhammadali" in forms.keys and "R:alimuhammad" in forms.keys


def test_skeleton_brings_spellings_together():
    assert skeleton("hussein") == skeleton("husayn") == skeleton("hasan")
    assert skeleton("qasim") == skeleton("kasim")


def test_resident_id_birth_dates():
    assert birth_date_of_resident_id("110101199001011237") == "1990-01-01"
    assert birth_date_of_resident_id("110101900101123") == "1990-01-01"
    assert birth_date_of_resident_id("E12345678") is None


def test_id_key_ignores_spaces_dashes_and_case():
    assert id_key(" p-123 456 ") == id_key("P123456") == "P123456"


def test_variant_spellings_are_no_chinese_syllables():
    # variants apply to Latin names only: a spelling that is also a pinyin or Cantonese
    # syllable would make a Latin name's key differ from the same name's Hanzi reading
    from pypinyin.pinyin_dict import pinyin_dict

    from amlwatch.screening.names import _cantonese

    syllables: set[str] = set()
    for readings in pinyin_dict.values():
        syllables |= {_plain(r) for r in readings.split(",")}
    for readings in _cantonese().values():
        syllables |= set(readings)
    clash = {s for s in variants().latin if s in syllables and variants().latin[s] != s}
    assert not clash


def test_no_spelling_is_in_two_groups():
    import tomllib
    from importlib import resources

    data = tomllib.loads(
        resources.files("amlwatch.screening").joinpath("variants.toml").read_text("utf-8")
    )
    spellings = [s for group in data["latin"]["groups"] for s in group]
    assert len(spellings) == len(set(spellings))


def _plain(reading: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", reading)
    return "".join(c for c in folded if c.isascii() and c.isalpha()).replace("v", "u")


# ---- the fast lookup gives what the full forms give -------------------------------------

_CHARS = LIST_SURNAMES + POLYPHONIC_SURNAMES + list(LIST_GIVEN) + list("陳張劉黃偉國華")
_LATIN = [
    "Zhang Wei",
    "Chan Tai Man",
    "Mohammed Ali",
    "Tsang Chi Wai",
    "Li Chih-ming",
    "Osama bin Laden",
]


@settings(max_examples=150, deadline=None)
@given(
    listed=st.lists(st.text(alphabet=_CHARS, min_size=2, max_size=3), min_size=1, max_size=6),
    latin=st.lists(st.sampled_from(_LATIN), max_size=3),
    screened=st.lists(st.text(alphabet=_CHARS, min_size=2, max_size=3), min_size=1, max_size=6),
)
def test_lookup_keys_find_what_the_full_forms_find(listed, latin, screened):
    """The fast lookup finds every key a full screening would compare on: a listed Chinese
    name's characters and Mandarin reading, a listed Latin name's romanisations."""
    hanzi_keys = {k for name in listed for k in name_forms(name).keys if k[:2] in ("H:", "P:")}
    latin_keys = {k for name in latin for k in name_forms(name).keys}
    prefixes = frozenset(
        k[2:i] for k in latin_keys if k.startswith("R:") for i in range(3, len(k) + 1)
    )
    wanted = hanzi_keys | latin_keys
    names = [(name, "individual") for name in screened + latin]
    fast = lookup_keys(names, prefixes)
    for (name, _), found in zip(names, fast, strict=True):
        assert found & wanted == name_forms(name).keys & wanted, name


def test_a_walk_stops_on_long_names_but_finds_every_listed_key():
    name = "单曾解仇区查朴"  # seven polyphonic characters: thousands of readings
    full = name_forms(name)
    assert len([k for k in full.keys if k.startswith("R:")]) <= 4 * 64  # each system, and mixed
    wanted = "R:" + "".join(r[-1] for r in (_char_readings(c, "pinyin") for c in name))
    prefixes = frozenset(wanted[2:i] for i in range(3, len(wanted) + 1))
    assert wanted in lookup_keys([(name, "individual")], prefixes)[0]


@pytest.mark.parametrize("name", ["", "   ", "·", "123"])
def test_empty_and_odd_names_have_forms(name):
    forms = name_forms(name)
    assert isinstance(forms.keys, frozenset)


def test_readings_are_plain_ascii():
    for c in itertools.chain(_CHARS, "吕女绿"):
        for system in ("pinyin", "wade_giles"):
            assert all(r.isascii() and r.isalpha() for r in _char_readings(c, system)), (c, system)


def test_characters_no_table_knows_and_mixed_scripts_still_have_forms():
    # pypinyin knows no reading of 𠮷; a clerk may type Latin letters and characters together
    for name in ("𠮷田", "Chu 儁 Wing", "李〇"):
        forms = name_forms(name)
        assert forms.keys and forms.renderings


def test_cantonese_falls_back_to_the_simplified_character():
    from amlwatch.screening.readings import cantonese_readings

    assert "chun" in cantonese_readings("俊", "儁")  # OpenCC may give 儁, the table has only 俊
    assert "R:chuchunwing" in name_forms("朱俊荣").keys
