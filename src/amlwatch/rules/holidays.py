"""The statutory public holidays of a year, from 《全国年节及纪念日放假办法》 as amended in 2024
(in force 2025-01-01): the days off that the law itself fixes, before the State Council's
yearly notice adds the bridging days and the weekend make-up working days (调休).

    New Year's Day  1 day    1 January
    Spring Festival 4 days   lunar New Year's Eve to the 3rd day of the first lunar month
    Qingming        1 day    the Qingming solar term
    Labour Day      2 days   1–2 May
    Dragon Boat     1 day    5th day of the 5th lunar month
    Mid-Autumn      1 day    15th day of the 8th lunar month
    National Day    3 days   1–3 October

Lunar dates and the solar term come from `lunar-python`. A calendar built from these alone
(weekends off, no make-up days) is *provisional*: it keeps the night running in a year whose
notice is not loaded yet, and everything computed on it is marked so.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from lunar_python import Lunar

FIRST_YEAR = 2025  # the 2024 amendment: earlier years had other rules (and are all known)


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> frozenset[dt.date]:
    """The statutory days off of `year` (2025 or later)."""
    if year < FIRST_YEAR:
        raise ValueError(f"the 2024 holiday rules apply from {FIRST_YEAR}, not to {year}")

    def solar(lunar: Lunar) -> dt.date:
        day = lunar.getSolar()
        return dt.date(day.getYear(), day.getMonth(), day.getDay())

    new_year = Lunar.fromYmd(year, 1, 1)
    eve = solar(new_year.next(-1))  # the last day of the twelfth lunar month, 29th or 30th
    spring = {eve + dt.timedelta(days=i) for i in range(4)}
    qingming_day = new_year.getJieQiTable()["清明"]
    qingming = dt.date(qingming_day.getYear(), qingming_day.getMonth(), qingming_day.getDay())
    days = {
        dt.date(year, 1, 1),
        qingming,
        dt.date(year, 5, 1),
        dt.date(year, 5, 2),
        solar(Lunar.fromYmd(year, 5, 5)),
        solar(Lunar.fromYmd(year, 8, 15)),
        dt.date(year, 10, 1),
        dt.date(year, 10, 2),
        dt.date(year, 10, 3),
    }
    # the lunar New Year of `year` may start in the year before: keep this year's days only,
    # and add the Spring Festival days of next year's that fall in this one (an eve on 31 Dec)
    following = solar(Lunar.fromYmd(year + 1, 1, 1).next(-1))
    spring |= {following + dt.timedelta(days=i) for i in range(4)}
    return frozenset(d for d in days | spring if d.year == year)
