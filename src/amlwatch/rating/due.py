"""When a rating falls due: a new customer's first rating within the model's working days of
its arrival, and each level's periodic review at most its interval after the last confirmed
rating — on the last working day on or before that date, so a holiday never stretches an
interval (银发〔2013〕2号). A date in a year no calendar knows yet (a 24-month interval reaches
two years ahead) falls on the last weekday on or before it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable

from amlwatch.rules.exceptions import CalendarUnknown

AddWorkingDays = Callable[[dt.date, int], dt.date]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def on_or_before(day: dt.date, add_working_days: AddWorkingDays) -> dt.date:
    """The last working day on or before `day`."""
    return add_working_days(day + dt.timedelta(days=1), -1)


def first_rating_due(
    arrived: dt.date, working_days: int, add_working_days: AddWorkingDays
) -> dt.date:
    """A new customer is rated within `working_days` working days of the night it arrived."""
    return add_working_days(arrived, working_days)


def next_review_due(confirmed: dt.date, months: int, add_working_days: AddWorkingDays) -> dt.date:
    """The periodic review after a rating confirmed on `confirmed`."""
    target = add_months(confirmed, months)
    try:
        return on_or_before(target, add_working_days)
    except CalendarUnknown:
        return target - dt.timedelta(days=max(0, target.weekday() - 4))
