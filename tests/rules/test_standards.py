"""Monitoring standards as pack data: what a pack may say of a standard, and what it may not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from amlwatch.rules import FAMILY_PARAMS, INDICATORS_2003, UnknownRulePack, load_pack


def pack_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bank.toml"
    path.write_text('extends = "pboc-2016"\n' + text, encoding="utf-8")
    return path


def test_the_bundled_library_has_every_family_with_owner_status_and_2003_indicators() -> None:
    rule = load_pack("pboc-2016").suspicious
    assert rule is not None
    families = {s.family for s in rule.standards}
    assert families == set(FAMILY_PARAMS)
    codes = [s.code for s in rule.standards]
    assert len(codes) == len(set(codes)) and all(len(c) <= 32 for c in codes)
    for s in rule.standards:
        assert s.name and s.version and set(s.indicators) <= set(INDICATORS_2003)
        if s.family != "scatter":
            assert s.owner and set(s.params) == set(s.customer_types)
            for values in s.params.values():
                assert [n for n, _ in FAMILY_PARAMS[s.family]] == list(values)
    assert {s.code for s in rule.running()} == {s.code for s in rule.standards}
    assert rule.standard("AMLW-SP-0601").customer_types == ("individual",)
    assert rule.high_risk_regions == {"PRK", "IRN", "MMR"}
    night = rule.standard("AMLW-SP-0501")
    assert night.params["individual"]["night_from"] == 22 * 3600
    assert rule.window_of(rule.standard("AMLW-SP-0302")) == 5
    assert rule.standard("AMLW-SP-0302").params["individual"]["cash_only"] == 1
    assert rule.standard("AMLW-SP-0301").params["entity"]["cash_only"] == 0  # the default
    assert rule.window_of(rule.standard("AMLW-SP-0101")) == rule.window_business_days


def test_an_extending_pack_changes_one_standard_by_its_code(tmp_path: Path) -> None:
    path = pack_file(
        tmp_path,
        '[[suspicious.standards]]\ncode = "AMLW-SP-0201"\nstatus = "in_force"\nversion = "2"\n'
        '[suspicious.standards.params.individual]\nmin_in_cny = "300000"\n'
        '[[suspicious.standards]]\ncode = "BANK-0001"\nname = "夜间交易（本行）"\nfamily = "night"\n'
        'effective_from = 2026-12-01\n[suspicious.standards.params.common]\nnight_from = "23:30"\n'
        'night_to = "05:00"\nmin_single_cny = "10000"\nmin_count = 2\nmin_total_cny = "0"\n',
    )
    rule = load_pack(path).suspicious
    assert rule is not None
    base = load_pack("pboc-2016").suspicious
    assert base is not None
    assert [s.code for s in rule.standards] == [s.code for s in base.standards] + ["BANK-0001"]
    changed = rule.standard("AMLW-SP-0201")
    assert (changed.status, changed.version, changed.opens_cases) == ("in_force", "2", True)
    assert changed.params["individual"]["min_in_cny"] == Decimal(300_000)
    assert changed.params["entity"] == base.standard("AMLW-SP-0201").params["entity"]
    own = rule.standard("BANK-0001")
    assert own.params["entity"]["night_from"] == 23 * 3600 + 1800
    assert not own.runs_on(dt.date(2026, 11, 30)) and own.runs_on(dt.date(2026, 12, 1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('family = "telepathy"', "unknown family 'telepathy'"),
        ('family = "night"\nstatus = "maybe"', "status must be one of"),
        ('family = "night"\nindicators = ["2003-99"]', "unknown indicators"),
        ('family = "night"\n[suspicious.standards.params.common]\nnight_from = "22:00"',
         "missing \\['min_count', 'min_single_cny', 'min_total_cny', 'night_to'\\]"),
        ('family = "same_party"\n[suspicious.standards.params.common]\nmin_rows = 5\n'
         'min_parties = 1\nmin_total_cny = "0"\nmax_rows = 3', "unknown \\['max_rows'\\]"),
        ('family = "structuring"\n[suspicious.standards.params.common]\nthreshold_cny = "5.0001"\n'
         'band = "0.1"\nmin_count = 1\nmin_days = 1\nmin_total_cny = "0"', "at most 3 decimals"),
        ('family = "structuring"\n[suspicious.standards.params.common]\nthreshold_cny = "5"\n'
         'band = "0.1"\nmin_count = "1.5"\nmin_days = 1\nmin_total_cny = "0"', "at most 0 decimals"),
        ('family = "night"\n[suspicious.standards.params.common]\nnight_from = "25:00"\n'
         'night_to = "06:00"\nmin_single_cny = "0"\nmin_count = 1\nmin_total_cny = "0"', "time of day"),
        ('family = "night"\n[suspicious.standards.params.common]\nnight_from = "late"\n'
         'night_to = "06:00"\nmin_single_cny = "0"\nmin_count = 1\nmin_total_cny = "0"', "HH:MM"),
        ('scattered = "sideways"', "scattered must be in or out"),
        ('family = "night"\nwindow_business_days = 0', "window_business_days"),
        ('family = "cash"\ncustomer_types = ["robot"]', "customer_types"),
        # a network structure spans customers of both types: one set of parameters, for both
        ('family = "chain"\n[suspicious.standards.params.individual]\nmin_hops = 3',
         "network standard's parameters are \\[params.common\\]"),
        ('family = "cycle"\ncustomer_types = ["individual"]', "for every customer type"),
        ('family = "cycle"\n[suspicious.standards.exclude]\npurposes = ["工资"]', "excludes nothing"),
    ],
)  # fmt: skip
def test_a_standard_the_pack_cannot_mean_is_refused_by_name(
    tmp_path: Path, text: str, message: str
) -> None:
    path = pack_file(tmp_path, f'[[suspicious.standards]]\ncode = "BANK-X"\nname = "x"\n{text}\n')
    with pytest.raises(UnknownRulePack, match=message):
        load_pack(path)


def test_a_code_too_long_for_the_report_is_refused(tmp_path: Path) -> None:
    path = pack_file(
        tmp_path, f'[[suspicious.standards]]\ncode = "{"X" * 33}"\nname = "x"\nscattered = "in"\n'
    )
    with pytest.raises(UnknownRulePack, match="over 32 characters"):
        load_pack(path)


def test_high_risk_regions_must_be_country_codes(tmp_path: Path) -> None:
    with pytest.raises(UnknownRulePack, match="ISO alpha-3"):
        load_pack(pack_file(tmp_path, '[suspicious]\nhigh_risk_regions = ["PRK", "prk", "KP1"]\n'))


def test_a_standard_s_own_exclusions_are_checked_and_get_a_bit_each(tmp_path: Path) -> None:
    mine = """[[suspicious.standards]]
code = "AMLW-SP-0602"
[suspicious.standards.exclude]
purposes = ["营业款存入"]
tx_methods = []
"""
    rule = load_pack(str(pack_file(tmp_path, mine))).suspicious
    assert rule is not None
    assert rule.standard("AMLW-SP-0602").exclude == {"purposes": frozenset({"营业款存入"})}
    assert [(s.code, bit) for s, bit in rule.own_exclusions()] == [("AMLW-SP-0602", 8)]
    for text, message in (
        ('code = "AMLW-SP-0101"\n[suspicious.standards.exclude]\npurposes = ["x"]',
         "scatter standards take"),
        ('code = "AMLW-SP-0602"\n[suspicious.standards.exclude]\nparties = ["x"]', "only purposes"),
        ('code = "AMLW-SP-0602"\n[suspicious.standards.exclude]\npurposes = "x"',
         "list of non-empty strings"),
        ('code = "AMLW-SP-0602"\n[suspicious.standards.exclude]\npurposes = [""]',
         "list of non-empty strings"),
    ):  # fmt: skip
        with pytest.raises(UnknownRulePack, match=message):
            load_pack(str(pack_file(tmp_path, f"[[suspicious.standards]]\n{text}\n")))
    six = "".join(
        f'[[suspicious.standards]]\ncode = "{code}"\n[suspicious.standards.exclude]\n'
        'counterparty_accounts = ["X"]\n'
        for code in ("AMLW-SP-0201", "AMLW-SP-0301", "AMLW-SP-0302", "AMLW-SP-0401",
                     "AMLW-SP-0501", "AMLW-SP-0502")
    )  # fmt: skip
    with pytest.raises(UnknownRulePack, match="at most 5 may"):
        load_pack(str(pack_file(tmp_path, six)))


def test_parameters_per_customer_risk_level_are_checked(tmp_path: Path) -> None:
    rule = load_pack("pboc-2016").suspicious
    assert rule is not None
    cash = rule.standard("AMLW-SP-0601")
    assert cash.at_risk_level("10")["individual"]["min_total_cny"] == Decimal(500_000)
    assert cash.at_risk_level("14") == cash.params  # a level without its own: the standard's
    for text, message in (
        ('code = "AMLW-SP-0101"\n[suspicious.standards.by_risk_level."10"]\nmin_amount_cny = "1"',
         "not for the scatter"),
        ('code = "AMLW-SP-0601"\n[suspicious.standards.by_risk_level."H"]\nmin_total_cny = "1"', "digits"),
        ('code = "AMLW-SP-0601"\n[suspicious.standards.by_risk_level."10"]\nhours = 1',
         "unknown \\['hours'\\]"),
        ('code = "AMLW-SP-0601"\n[suspicious.standards.by_risk_level."10"]\nmin_total_cny = "-1"', ">= 0"),
        ('code = "AMLW-SP-0601"\nby_risk_level = { "12" = {} }', "a table per level"),
    ):  # fmt: skip
        with pytest.raises(UnknownRulePack, match=message):
            load_pack(str(pack_file(tmp_path, f"[[suspicious.standards]]\n{text}\n")))
