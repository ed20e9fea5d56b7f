"""The working-day rule partners are held to: a new report is acknowledged within N
working days. Weekends and the bank holidays of England and Wales are not working days
(County Durham is in England); the holidays come from the maintained `holidays` library."""
from datetime import datetime, timedelta, timezone

import holidays

# England and Wales; the library fills in each year the first time a date in it is asked
# about (expand=True), substitute days ("Boxing Day (observed)") included.
BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG")


def is_working_day(day):
    return day.weekday() < 5 and day not in BANK_HOLIDAYS


def working_days_between(start, end):
    """Working days after `start`'s day up to and including `end`'s day."""
    days, day = 0, start.date()
    while day < end.date():
        day += timedelta(days=1)
        if is_working_day(day):
            days += 1
    return days


def aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def overdue_before(now, working_days):
    """The moment before which an unacknowledged report is overdue. "Acknowledged within
    N working days" gives the partner N whole working days after the day it came in: a
    report is overdue once more than N working days have begun since, i.e. from the start
    of the (N+1)th. The cutoff is the start of the day after the latest day that lies
    N+1 working days back. The one place the rule is applied: the database counts with
    it, and each row is marked with it."""
    day = now.date()
    while working_days_between(datetime.combine(day, datetime.min.time()), now) <= working_days:
        day -= timedelta(days=1)
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), timezone.utc)


def is_overdue(report, cutoff):
    return report.status == "new" and aware(report.created_at) < cutoff
