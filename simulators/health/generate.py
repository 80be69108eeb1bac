"""Daily visit counts per facility, as a provincial health information system aggregates them.

One row per facility, day, sex and age group with at least one visit (an empty cell has no row): visits,
visits covered by health insurance (BHYT), inpatient admissions and referrals. Aggregates only, no person.
Figures follow the week (Sunday quiet, stations mostly closed), public holidays, slow growth, and the two
COVID-19 periods (national distancing in April 2020; Long An's lockdown of 8 July-19 October 2021).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from simulators.health.facilities import Facility, facilities_on
from simulators.workdays import is_working_day

# The export's columns, in order (Vietnamese headers as the provincial system writes them).
COLUMNS = ("Mã cơ sở KCB", "Tên cơ sở KCB", "Tuyến", "Mã xã", "Ngày khám", "Giới tính", "Nhóm tuổi",
           "Số lượt khám", "Số lượt khám BHYT", "Số lượt nội trú", "Số lượt chuyển tuyến")
SEXES = (("Nam", 0.45), ("Nữ", 0.55))
AGE_GROUPS = ("Dưới 6 tuổi", "6-15 tuổi", "16-59 tuổi", "Từ 60 tuổi")
AGE_SHARES = {"Tỉnh": (0.10, 0.08, 0.50, 0.32), "Huyện": (0.12, 0.09, 0.46, 0.33), "Xã": (0.17, 0.10, 0.35, 0.38)}
WEEKDAY = {"Tỉnh": (1.15, 1.0, 1.0, 1.0, 0.95, 0.5, 0.25), "Huyện": (1.15, 1.0, 1.0, 1.0, 0.95, 0.45, 0.2),
           "Xã": (1.1, 1.0, 1.0, 1.0, 0.95, 0.3, 0.04)}
QUIET_PERIODS = ((date(2020, 4, 1), date(2020, 4, 22), 0.55), (date(2021, 7, 8), date(2021, 10, 19), 0.45))
INSURED_SHARE = {"Tỉnh": 0.86, "Huyện": 0.9, "Xã": 0.93}


@dataclass(frozen=True)
class HealthSimConfig:
    province: str = "long-an"
    start: date = date(2016, 1, 1)
    as_of: datetime = datetime(2026, 11, 1)
    seed: int = 20250701
    # Daily files delivered: None = every day from start to the day before as_of; N = N days spread evenly
    # over the period (always with 30 June and 1 July 2025 when in it), to keep a demo fast.
    days: int | None = None


def report_days(config: HealthSimConfig) -> list[date]:
    last = config.as_of.date() - timedelta(days=1)
    total = (last - config.start).days + 1
    if total <= 0:
        return []
    if config.days is None or config.days >= total:
        return [config.start + timedelta(days=i) for i in range(total)]
    count = max(config.days, 1)
    chosen = {config.start + timedelta(days=round(i * (total - 1) / max(count - 1, 1))) for i in range(count)}
    chosen |= {d for d in (date(2025, 6, 30), date(2025, 7, 1)) if config.start <= d <= last}
    return sorted(chosen)


def _level_of_activity(facility: Facility, day: date) -> float:
    factor = WEEKDAY[facility.level][day.weekday()]
    if not is_working_day(day) and day.weekday() < 5:  # a public holiday
        factor = min(factor, 0.3 if facility.level != "Xã" else 0.05)
    for first, last, quiet in QUIET_PERIODS:
        if first <= day <= last:
            factor *= quiet
    return factor * (1.0 + 0.02 * (day.year - 2016))


def day_rows(config: HealthSimConfig, day: date) -> Iterator[dict[str, str | int]]:
    """The rows of one day's export, in the system's order (facility, sex, age group); same input, same rows."""
    shown = day.strftime("%d/%m/%Y")
    for facility in facilities_on(config.province, day):
        rng = random.Random(f"{config.seed}|health|{facility.code}|{day.isoformat()}")
        mean = facility.weekday_visits * _level_of_activity(facility, day) * rng.uniform(0.85, 1.15)
        for sex, sex_share in SEXES:
            for group, share in zip(AGE_GROUPS, AGE_SHARES[facility.level], strict=True):
                expected = mean * sex_share * share
                visits = max(0, round(rng.gauss(expected, math.sqrt(expected) + 0.3)))
                if not visits:
                    continue
                insured = min(visits, round(visits * INSURED_SHARE[facility.level] * rng.uniform(0.95, 1.04)))
                inpatient = min(visits, round(visits * facility.inpatient_share * rng.uniform(0.7, 1.3)))
                referred = min(visits, round(visits * facility.referral_share * rng.uniform(0.5, 1.5)))
                yield {"Mã cơ sở KCB": facility.code, "Tên cơ sở KCB": facility.name, "Tuyến": facility.level,
                       "Mã xã": facility.commune_code, "Ngày khám": shown, "Giới tính": sex, "Nhóm tuổi": group,
                       "Số lượt khám": visits, "Số lượt khám BHYT": insured, "Số lượt nội trú": inpatient,
                       "Số lượt chuyển tuyến": referred}
