"""The working-day rule partners are held to: weekends and the bank holidays of England and
Wales (from the `holidays` library) are not working days. A new report is overdue once
PARTNER_ACK_WORKING_DAYS (2) working days have begun since the day it came in.

The dates were checked against the library (holidays.country_holidays("GB", subdiv="ENG")):
Good Friday 3 April and Easter Monday 6 April 2026; Christmas Day Friday 25 December 2026
with Boxing Day on a Saturday, so Monday 28 December is the substitute day; in 2027 both
fall at the weekend, so Monday 27 and Tuesday 28 December are substitute days.
"""
from datetime import date, datetime, timedelta, timezone

import holidays
import pytest

from sdp_public.services.working_days import is_overdue, is_working_day, overdue_before, working_days_between


def at(year, month, day, hour=12, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


class Made:
    """A report as the rule sees it: its status and when it came in."""

    def __init__(self, created_at, status="new"):
        self.created_at, self.status = created_at, status


def overdue(made, now):
    return is_overdue(Made(made), overdue_before(now, 2))


def test_the_library_has_the_easter_and_christmas_dates_these_tests_use():
    england = holidays.country_holidays("GB", subdiv="ENG", years=[2026, 2027])
    assert {d for d in england if d.month in (4, 12) and d.year == 2026} == {
        date(2026, 4, 3), date(2026, 4, 6), date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 28)}
    assert {d for d in england if d.month == 12 and d.year == 2027} == {
        date(2027, 12, 25), date(2027, 12, 26), date(2027, 12, 27), date(2027, 12, 28)}


@pytest.mark.parametrize("day, working", [
    (date(2026, 4, 2), True),     # Maundy Thursday: a normal working day
    (date(2026, 4, 3), False),    # Good Friday
    (date(2026, 4, 4), False),    # Saturday
    (date(2026, 4, 6), False),    # Easter Monday
    (date(2026, 4, 7), True),
    (date(2026, 12, 28), False),  # Boxing Day (substitute day)
    (date(2026, 12, 29), True),
    (date(2027, 12, 27), False),  # Christmas Day (substitute day)
    (date(2027, 12, 28), False),  # Boxing Day (substitute day)
    (date(2027, 12, 29), True),
])
def test_bank_holidays_and_their_substitute_days_are_not_working_days(day, working):
    assert is_working_day(day) is working


def test_a_report_made_on_maundy_thursday_is_not_overdue_until_the_thursday_after_easter():
    made = at(2026, 4, 2, 16)
    assert not overdue(made, at(2026, 4, 6, 17))   # Easter Monday: no working day yet
    assert not overdue(made, at(2026, 4, 7, 17))   # Tuesday: the first working day since
    assert not overdue(made, at(2026, 4, 8, 17))   # Wednesday: the second, still the partner's
    # Thursday 9 April: two whole working days have passed; without the bank holidays it
    # would have been overdue on Tuesday
    assert overdue(made, at(2026, 4, 9, 9))


def test_christmas_and_boxing_day_substitute_days_do_not_count():
    made = at(2026, 12, 24, 15)  # Christmas Eve, a Thursday
    # Friday 25 (Christmas), the weekend and Monday 28 (Boxing Day, substitute) are not
    # working days: Tuesday 29 is the first, Wednesday 30 the second
    assert not overdue(made, at(2026, 12, 30, 17))
    assert overdue(made, at(2026, 12, 31, 9))
    made = at(2027, 12, 24, 15)  # a Friday: Christmas and Boxing Day fall at the weekend
    assert working_days_between(made, at(2027, 12, 28, 17)) == 0  # both substitute days
    assert not overdue(made, at(2027, 12, 30, 17))  # Wednesday 29 and Thursday 30
    assert overdue(made, at(2027, 12, 31, 9))


def test_only_a_new_report_is_ever_overdue():
    cutoff = overdue_before(at(2026, 4, 9), 2)
    assert is_overdue(Made(at(2026, 3, 2)), cutoff)
    for status in ("acknowledged", "in-progress", "referred", "closed"):
        assert not is_overdue(Made(at(2026, 3, 2), status), cutoff)
    assert is_overdue(Made(at(2026, 3, 2).replace(tzinfo=None)), cutoff)  # SQLite gives naive UTC back


def test_the_cutoff_agrees_with_counting_working_days_at_any_time_of_any_day():
    """The inbox counts overdue reports in SQL with the cutoff and marks each row with it:
    the cutoff must say exactly what counting working days says, over weekends and Easter,
    for reports made at any time of day."""
    for now_offset in range(14):
        now = at(2026, 3, 28, 10, 30) + timedelta(days=now_offset, hours=now_offset)
        cutoff = overdue_before(now, 2)
        for hours_back in range(0, 24 * 12, 5):
            made = now - timedelta(hours=hours_back)
            rule = working_days_between(made, now) > 2
            assert (made < cutoff) == rule and is_overdue(Made(made), cutoff) == rule, (now, made, cutoff)
