"""PRC business days: statutory holidays and weekend make-up working days (调休).

The `chinese-calendar` package knows the State Council's schedules up to its release; the
operator adds later years with an override file (TOML):

    [2027]
    holidays = ["2027-01-01", "2027-02-05", ...]   # weekdays that are not business days
    workdays = ["2027-02-14"]                      # weekend days that are business days

A year in the override file is taken as fully specified (weekends are off unless listed as
workdays). A date in a year neither source knows raises `CalendarUnknown`.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import chinese_calendar

from amlwatch.rules.exceptions import CalendarUnknown


@dataclass(slots=True)
class BusinessCalendar:
    """Which calendar days are business days (营业日 / 工作日)."""

    holidays: set[dt.date] = field(default_factory=set)
    workdays: set[dt.date] = field(default_factory=set)
    override_years: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, override_file: Path | None = None) -> BusinessCalendar:
        """The statutory calendar, plus the operator's override file if given."""
        calendar = cls()
        if override_file is not None:
            data = tomllib.loads(Path(override_file).read_text(encoding="utf-8"))
            for year, spec in data.items():
                calendar.override_years.add(int(year))
                calendar.holidays.update(dt.date.fromisoformat(d) for d in spec.get("holidays", []))
                calendar.workdays.update(dt.date.fromisoformat(d) for d in spec.get("workdays", []))
        return calendar

    def is_business_day(self, day: dt.date) -> bool:
        """True for a working day of the statutory schedule."""
        if day.year in self.override_years:
            if day in self.workdays:
                return True
            return day.weekday() < 5 and day not in self.holidays
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError as exc:
            raise CalendarUnknown(
                f"the business-day calendar does not know {day.year}: add the State Council's "
                "schedule for it to the calendar override file (AMLWATCH_CALENDAR_FILE)"
            ) from exc

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
