"""The working-day calendar Kho measures time limits with, generated from the `holidays` package (never typed
by hand): Vietnam's public holidays, Tết and Hùng Kings' day from the lunar calendar, days off moved from a
weekend, and Saturdays swapped into working days (Labour Code 45/2019/QH14 art. 111–112).

    python -m kho.calendar          # rewrites dbt_project/seeds/reference/vn_calendar.csv
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import holidays

FIRST_DAY, LAST_DAY = date(2015, 1, 1), date(2030, 12, 31)
SEED = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "reference" / "vn_calendar.csv"
COLUMNS = ("date_day", "year", "quarter", "month", "day_of_month", "iso_day_of_week", "is_weekend", "is_holiday",
           "holiday_name_vi", "holiday_name_en", "is_working_day", "working_day_number")


def calendar_csv(first: date = FIRST_DAY, last: date = LAST_DAY) -> str:
    """One row per day. `working_day_number` counts working days from `first`: the working days between two
    dates are the difference of their numbers."""
    years = range(first.year, last.year + 1)
    names_vi = holidays.country_holidays("VN", years=years, language="vi")
    names_en = holidays.country_holidays("VN", years=years, language="en_US")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    day, number = first, 0
    while day <= last:
        working = names_vi.is_working_day(day)
        number += working
        writer.writerow((day.isoformat(), day.year, (day.month - 1) // 3 + 1, day.month, day.day, day.isoweekday(),
                         str(day.weekday() >= 5).lower(), str(day in names_vi).lower(), names_vi.get(day, ""),
                         names_en.get(day, ""), str(working).lower(), number))
        day += timedelta(days=1)
    return out.getvalue()


def write(path: Path = SEED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(calendar_csv(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write()}")
