"""Working days in Vietnam (Labour Code 45/2019/QH14 art. 111–112): weekends, public holidays with Tết and
Hùng Kings' day from the lunar calendar, and swapped working Saturdays — as the `holidays` package knows them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    return _calendar(day.year).is_working_day(day)


def next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def due_at(received_at: datetime, working_days: int, paper: bool) -> datetime:
    """The promised date: `working_days` full working days after receipt, at 17:00. A paper dossier received
    after 15:00 counts from the next working day (Decree 61/2018 practice)."""
    start = received_at.date()
    if paper and received_at.time() >= time(15, 0):
        start = next_working_day(start)
    day = start
    for _ in range(working_days):
        day = next_working_day(day)
    return datetime.combine(day, time(17, 0))
