"""When ratings fall due: the intervals, the month ends, and the holidays they never stretch."""

from __future__ import annotations

import datetime as dt

from amlwatch.rating import add_months, first_rating_due, next_review_due, on_or_before
from amlwatch.rules import BusinessCalendar

CAL = BusinessCalendar.load()
ADD = CAL.add_business_days


def test_add_months_keeps_the_day_or_takes_the_month_end():
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 3, 15), 24) == dt.date(2028, 3, 15)
    assert add_months(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)


def test_a_review_due_on_a_holiday_falls_on_the_working_day_before():
    # confirmed 2026-04-01; six months later is 2026-10-01, National Day: the last working day
    # before the holiday is the due date (a holiday never stretches the interval)
    due = next_review_due(dt.date(2026, 4, 1), 6, ADD)
    assert due < dt.date(2026, 10, 1) and CAL.is_business_day(due)
    assert all(
        not CAL.is_business_day(d)
        for d in (
            due + dt.timedelta(days=k) for k in range(1, (dt.date(2026, 10, 1) - due).days + 1)
        )
    )
    assert on_or_before(dt.date(2026, 10, 9), ADD) == dt.date(2026, 10, 9)  # a working day stays


def test_new_customer_within_ten_working_days_across_a_holiday():
    due = first_rating_due(dt.date(2026, 9, 28), 10, ADD)
    assert CAL.business_days(dt.date(2026, 9, 29), due).__len__() == 10
    assert due > dt.date(2026, 10, 8)  # the National Day week does not count


def test_a_year_no_calendar_knows_falls_on_a_weekday():
    due = next_review_due(dt.date(2026, 11, 7), 24, ADD)  # 2028-11-07, a Tuesday
    assert due <= dt.date(2028, 11, 7) and due.weekday() < 5
    weekend = next_review_due(dt.date(2026, 11, 4), 24, ADD)  # 2028-11-04 is a Saturday
    assert weekend == dt.date(2028, 11, 3)
