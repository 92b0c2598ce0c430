"""Rule packs chosen by date, and the business-day calendar with the operator's override file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from amlwatch.rules import BusinessCalendar, CalendarUnknown, UnknownRulePack, load_pack, pack_for
from amlwatch.rules.holidays import statutory_holidays


def test_the_pack_in_force_is_chosen_by_date() -> None:
    assert pack_for(dt.date(2017, 7, 1)).label == "pboc-2016@2016.3"
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
    assert load_pack(path).label == "bank-2026@2016.3"
    with pytest.raises(UnknownRulePack, match="bundled: pboc-2003, pboc-2016"):
        load_pack("nonsense")


def test_statutory_holidays_and_make_up_days() -> None:
    calendar = BusinessCalendar.load()
    assert not calendar.is_business_day(dt.date(2026, 10, 1))  # National Day
    assert calendar.is_business_day(dt.date(2026, 10, 10))  # Saturday make-up day
    assert not calendar.is_business_day(dt.date(2026, 10, 11))  # an ordinary Sunday
    assert calendar.add_business_days(dt.date(2026, 9, 30), 5) == dt.date(2026, 10, 13)


def test_a_year_without_a_schedule_is_provisional_and_the_override_file_fills_it(
    tmp_path: Path,
) -> None:
    calendar = BusinessCalendar.load(provisional_until=2027)
    assert calendar.is_provisional(dt.date(2027, 1, 4)) and not calendar.is_official(2027)
    assert calendar.is_business_day(dt.date(2027, 1, 4))  # a Monday, by the statute alone
    assert not calendar.is_business_day(dt.date(2027, 2, 5))  # Spring Festival eve (除夕)
    assert not calendar.is_provisional(dt.date(2026, 12, 31))
    assert calendar.provisional_years(dt.date(2026, 12, 20), dt.date(2027, 1, 5)) == [2027]
    with pytest.raises(CalendarUnknown, match="does not know 2028"):
        calendar.is_business_day(dt.date(2028, 1, 4))  # beyond the provisional horizon
    override = tmp_path / "holidays.toml"
    override.write_text(
        '[2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-02"]\n', encoding="utf-8"
    )
    calendar = BusinessCalendar.load(override)
    assert calendar.is_official(2027) and not calendar.is_provisional(dt.date(2027, 1, 2))
    assert not calendar.is_business_day(dt.date(2027, 1, 1))  # a Friday holiday
    assert calendar.is_business_day(dt.date(2027, 1, 2))  # a Saturday worked
    assert not calendar.is_business_day(dt.date(2027, 1, 3))  # Sunday
    assert calendar.is_business_day(dt.date(2027, 1, 4))  # Monday
    assert calendar.is_business_day(dt.date(2026, 10, 10))  # known years still from the statute


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_statutory_holidays_are_the_official_schedules_days_off(year: int) -> None:
    from chinese_calendar.constants import holidays, in_lieu_days

    ours = statutory_holidays(year)
    official_off = {d for d in holidays if d.year == year}
    assert ours <= official_off  # every statutory day is a day off in the State Council's notice
    assert not ours & set(in_lieu_days)  # and none of them is a bridging day
    assert len(ours) == 1 + 4 + 1 + 2 + 1 + 1 + 3  # 13 days since the 2024 amendment


def test_the_statutory_holidays_of_a_year_the_package_does_not_know() -> None:
    days = sorted(statutory_holidays(2027))
    assert [d.isoformat() for d in days] == [
        "2027-01-01",
        "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08",  # 除夕 to 初三
        "2027-04-05",  # Qingming
        "2027-05-01", "2027-05-02",
        "2027-06-09",  # 端午, 5th of the 5th lunar month
        "2027-09-15",  # 中秋
        "2027-10-01", "2027-10-02", "2027-10-03",
    ]  # fmt: skip
    # a Spring Festival in January: its eve and days in the right year
    assert {dt.date(2028, 1, 25), dt.date(2028, 1, 28)} <= statutory_holidays(2028)
    with pytest.raises(ValueError, match="2024 holiday rules"):
        statutory_holidays(2024)


def test_from_november_the_missing_schedule_of_next_year_is_announced(tmp_path: Path) -> None:
    calendar = BusinessCalendar.load(provisional_until=2027)
    assert calendar.missing_schedule(dt.date(2026, 10, 31)) is None
    warning = calendar.missing_schedule(dt.date(2026, 11, 1))
    assert warning is not None and "2027" in warning and "AMLWATCH_CALENDAR_FILE" in warning
    reviewers = calendar.missing_schedule_for_reviewers(dt.date(2026, 11, 1))
    assert reviewers is not None and "暂定" in reviewers and "AMLWATCH" not in reviewers
    override = tmp_path / "holidays.toml"
    override.write_text('[2027]\nholidays = ["2027-01-01"]\n', encoding="utf-8")
    assert BusinessCalendar.load(override).missing_schedule(dt.date(2026, 12, 2)) is None
