"""Working days: Monday–Friday, minus Vietnamese public holidays (the `holidays` data, which also knows the
Government's announced day swaps), corrected by the exceptions staff keep in CalendarDay."""

import datetime
from functools import lru_cache

import holidays

from .models import CalendarDay, CalendarKind


@lru_cache(maxsize=8)
def _statutory(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


def _exceptions(start: datetime.date, end: datetime.date) -> dict[datetime.date, str]:
    return dict(CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "kind"))


def _is_working(day: datetime.date, exceptions: dict[datetime.date, str]) -> bool:
    if day in exceptions:
        return exceptions[day] == CalendarKind.WORKING
    return _statutory(day.year).is_working_day(day)


def is_working_day(day: datetime.date) -> bool:
    return _is_working(day, _exceptions(day, day))


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (the day of receipt itself does not count)."""
    if days < 0:
        raise ValueError("số ngày làm việc phải ≥ 0 / working days must be >= 0")
    # Holidays never cover more than ~10 days in a row (Tết), so twice the span plus a margin is enough.
    horizon = start + datetime.timedelta(days=days * 2 + 30)
    exceptions = _exceptions(start, horizon)
    day, left = start, days
    while left:
        day += datetime.timedelta(days=1)
        if day > horizon:
            horizon = day + datetime.timedelta(days=60)
            exceptions |= _exceptions(day, horizon)
        if _is_working(day, exceptions):
            left -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (negative when end < start)."""
    if end < start:
        return -working_days_between(end, start)
    exceptions = _exceptions(start, end)
    return sum(_is_working(start + datetime.timedelta(days=i), exceptions) for i in range(1, (end - start).days + 1))
