"""PRC business days: statutory holidays and weekend make-up working days (调休).

The `chinese-calendar` package knows the State Council's schedules up to its release; the
operator adds later years with an override file (TOML):

    [2027]
    holidays = ["2027-01-01", "2027-02-05", ...]   # weekdays that are not business days
    workdays = ["2027-02-14"]                      # weekend days that are business days

A year in the override file is taken as fully specified (weekends are off unless listed as
workdays). A year neither source knows, up to `provisional_until` (next year by default), is
computed *provisionally* from the statutory holidays alone (`rules.holidays`: weekends off, no
make-up days), so that the night keeps running while the State Council's notice is awaited;
`is_provisional` tells which days, and everything computed on them is marked. A date beyond
that raises `CalendarUnknown`.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import chinese_calendar

from amlwatch.rules.exceptions import CalendarUnknown
from amlwatch.rules.holidays import FIRST_YEAR, statutory_holidays

HOW_TO_ADD = (
    "把国务院办公厅的放假安排写入日历文件（AMLWATCH_CALENDAR_FILE，见 docs/operations.md）/ add "
    "the State Council's schedule to the calendar override file (AMLWATCH_CALENDAR_FILE)"
)


@lru_cache(maxsize=128)
def _statute_knows(year: int) -> bool:
    """Whether `chinese-calendar` carries the State Council's schedule of `year`."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _next_year() -> int:
    return dt.date.today().year + 1


@dataclass(slots=True)
class BusinessCalendar:
    """Which calendar days are business days (营业日 / 工作日)."""

    holidays: set[dt.date] = field(default_factory=set)
    workdays: set[dt.date] = field(default_factory=set)
    override_years: set[int] = field(default_factory=set)
    # the last year computed provisionally when no schedule is loaded (later: an error)
    provisional_until: int = field(default_factory=_next_year)

    @classmethod
    def load(
        cls, override_file: Path | None = None, provisional_until: int | None = None
    ) -> BusinessCalendar:
        """The statutory calendar, plus the operator's override file if given."""
        calendar = cls() if provisional_until is None else cls(provisional_until=provisional_until)
        if override_file is not None:
            data = tomllib.loads(Path(override_file).read_text(encoding="utf-8"))
            for year, spec in data.items():
                calendar.override_years.add(int(year))
                calendar.holidays.update(dt.date.fromisoformat(d) for d in spec.get("holidays", []))
                calendar.workdays.update(dt.date.fromisoformat(d) for d in spec.get("workdays", []))
        return calendar

    def is_official(self, year: int) -> bool:
        """Whether the State Council's schedule of `year` is loaded (package or override)."""
        return year in self.override_years or _statute_knows(year)

    def is_provisional(self, day: dt.date) -> bool:
        """Whether `day` is judged by the provisional calendar (its year's schedule missing)."""
        return not self.is_official(day.year)

    def provisional_years(self, start: dt.date, end: dt.date) -> list[int]:
        """The years from `start` to `end` judged provisionally."""
        return [y for y in range(start.year, end.year + 1) if not self.is_official(y)]

    def _missing_year(self, today: dt.date) -> int | None:
        """Next year, from 1 November while its schedule is not loaded; else None."""
        year = today.year + 1
        return None if today.month < 11 or self.is_official(year) else year

    def missing_schedule(self, today: dt.date) -> str | None:
        """From 1 November, the warning that next year's schedule is not loaded yet (and how to
        add it); earlier, or once it is loaded, None."""
        year = self._missing_year(today)
        if year is None:
            return None
        return (
            f"{year} 年节假日安排尚未载入，{year} 年的截止日与监测窗口将按法定节假日暂定计算；"
            f"{HOW_TO_ADD} / the {year} holiday schedule is not loaded: deadlines and windows "
            f"in {year} are provisional"
        )

    def missing_schedule_for_reviewers(self, today: dt.date) -> str | None:
        """The same warning in the review app's words (the operators hold the file)."""
        year = self._missing_year(today)
        if year is None:
            return None
        return (
            f"{year} 年节假日安排尚未载入：{year} 年的报告期限按法定节假日暂定计算（标注“暂定”），"
            "请系统管理员在国务院办公厅公布放假安排后及时载入。"
        )

    def is_business_day(self, day: dt.date) -> bool:
        """True for a working day of the statutory schedule (provisionally for a year whose
        schedule is not loaded, see the module's docstring)."""
        if day.year in self.override_years:
            if day in self.workdays:
                return True
            return day.weekday() < 5 and day not in self.holidays
        if _statute_knows(day.year):
            return bool(chinese_calendar.is_workday(day))
        if FIRST_YEAR <= day.year <= self.provisional_until:
            return day.weekday() < 5 and day not in statutory_holidays(day.year)
        raise CalendarUnknown(
            f"营业日历不知道 {day.year} 年 / the business-day calendar does not know {day.year}: "
            + HOW_TO_ADD
        )

    def days(self, start: dt.date, end: dt.date) -> Iterator[tuple[dt.date, bool]]:
        """Every calendar day from start to end inclusive, with whether it is a business day."""
        day = start
        while day <= end:
            yield day, self.is_business_day(day)
            day += dt.timedelta(days=1)

    def business_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """The business days from start to end inclusive."""
        return [day for day, open_ in self.days(start, end) if open_]

    def add_business_days(self, day: dt.date, count: int) -> dt.date:
        """The business day `count` business days after `day` (day itself need not be one)."""
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        while remaining:
            day += dt.timedelta(days=step)
            if self.is_business_day(day):
                remaining -= 1
        return day

    def window_start(self, end: dt.date, business_days: int) -> dt.date:
        """First calendar day of the window of `business_days` business days ending on `end`.

        The window is the last `business_days` business days up to and including `end`, plus
        every calendar day between them (weekends and holidays inside it belong to it) and up
        to `end` itself when `end` is not a business day.
        """
        if business_days < 1:
            raise ValueError("a window has at least one business day")
        day = end
        remaining = business_days
        while True:
            if self.is_business_day(day):
                remaining -= 1
                if remaining == 0:
                    return day
            day -= dt.timedelta(days=1)
