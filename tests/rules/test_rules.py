"""Rule packs chosen by date, and the business-day calendar with the operator's override file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from amlwatch.rules import BusinessCalendar, CalendarUnknown, UnknownRulePack, load_pack, pack_for


def test_the_pack_in_force_is_chosen_by_date() -> None:
    assert pack_for(dt.date(2017, 7, 1)).label == "pboc-2016@2016.1"
    assert pack_for(dt.date(2017, 6, 30)).label == "pboc-2003@2003.1"
    with pytest.raises(UnknownRulePack, match="no bundled rule pack is in force on 1999-01-01"):
        pack_for(dt.date(1999, 1, 1))


def test_packs_carry_the_regulation_s_thresholds() -> None:
    lv = load_pack("pboc-2016").large_value
    assert {c.code: (c.threshold_cny, c.threshold_usd) for c in lv.characteristics} == {
        "0501": (Decimal(50_000), Decimal(10_000)),
        "0502": (Decimal(2_000_000), Decimal(200_000)),
        "0503": (Decimal(500_000), Decimal(100_000)),
        "0504": (Decimal(200_000), Decimal(10_000)),
    }
    assert lv.cumulate_same_day and not lv.rmb_only
    legacy = load_pack("pboc-2003").large_value
    assert not legacy.cumulate_same_day and legacy.rmb_only


def test_a_pack_file_can_be_given_by_path(tmp_path: Path) -> None:
    source = Path(__file__).parents[2] / "src/amlwatch/rules/packs/pboc-2016.toml"
    text = source.read_text(encoding="utf-8").replace('name = "pboc-2016"', 'name = "bank-2026"')
    path = tmp_path / "bank.toml"
    path.write_text(text, encoding="utf-8")
    assert load_pack(path).label == "bank-2026@2016.1"
    with pytest.raises(UnknownRulePack, match="bundled: pboc-2003, pboc-2016"):
        load_pack("nonsense")


def test_statutory_holidays_and_make_up_days() -> None:
    calendar = BusinessCalendar.load()
    assert not calendar.is_business_day(dt.date(2026, 10, 1))  # National Day
    assert calendar.is_business_day(dt.date(2026, 10, 10))  # Saturday make-up day
    assert not calendar.is_business_day(dt.date(2026, 10, 11))  # an ordinary Sunday
    assert calendar.add_business_days(dt.date(2026, 9, 30), 5) == dt.date(2026, 10, 13)


def test_an_unknown_year_is_an_error_and_the_override_file_fills_it(tmp_path: Path) -> None:
    with pytest.raises(CalendarUnknown, match="does not know 2027"):
        BusinessCalendar.load().is_business_day(dt.date(2027, 1, 4))
    override = tmp_path / "holidays.toml"
    override.write_text(
        '[2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-02"]\n', encoding="utf-8"
    )
    calendar = BusinessCalendar.load(override)
    assert not calendar.is_business_day(dt.date(2027, 1, 1))  # a Friday holiday
    assert calendar.is_business_day(dt.date(2027, 1, 2))  # a Saturday worked
    assert not calendar.is_business_day(dt.date(2027, 1, 3))  # Sunday
    assert calendar.is_business_day(dt.date(2027, 1, 4))  # Monday
    assert calendar.is_business_day(dt.date(2026, 10, 10))  # known years still from the statute
