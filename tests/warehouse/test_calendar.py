"""The calendar seed is generated, never typed: regenerating it gives the committed file byte for byte."""

from __future__ import annotations

from kho.calendar import SEED, calendar_csv


def test_the_committed_calendar_is_what_the_generator_writes() -> None:
    assert SEED.read_text(encoding="utf-8") == calendar_csv()


def test_working_days_between_two_dates_are_a_subtraction() -> None:
    rows = {line.split(",")[0]: line.split(",") for line in calendar_csv().splitlines()[1:]}
    # Tết 2025: received Friday 24 January, the next working day is Monday 3 February.
    assert int(rows["2025-02-03"][-1]) - int(rows["2025-01-24"][-1]) == 1
