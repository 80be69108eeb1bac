"""Deterministic generation of one-stop-shop dossiers (hồ sơ thủ tục hành chính) in the portal's sync format."""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from simulators import people
from simulators.dossier.procedures import Procedure, for_level
from simulators.provinces import Agency, agencies, province

TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"  # the national portal's sync format, local time (UTC+7)

CHANNEL_DIRECT, CHANNEL_ONLINE, CHANNEL_POSTAL = 1, 2, 3
STATUS_IN_PROGRESS, STATUS_SUPPLEMENT, STATUS_WITHDRAWN, STATUS_PROCESSED, STATUS_RETURNED = 4, 5, 7, 9, 10

# Share of dossiers submitted online, by year of receipt: a province's curve from a handful of online
# services in 2016 to most intake online after 2024.
ONLINE_SHARE = {2016: 0.01, 2017: 0.02, 2018: 0.03, 2019: 0.04, 2020: 0.06, 2021: 0.18, 2022: 0.28,
                2023: 0.38, 2024: 0.48, 2025: 0.58, 2026: 0.63}
# Share of resolved dossiers resolved late, by year (Long An reports 99% on time in 2020, 99.99% in 2024).
LATE_SHARE = {2016: 0.05, 2017: 0.04, 2018: 0.03, 2019: 0.02, 2020: 0.01, 2021: 0.008, 2022: 0.004,
              2023: 0.002, 2024: 0.0005, 2025: 0.0005, 2026: 0.0005}
LEVEL_WEIGHT = {"province": 0.25, "district": 0.35, "commune": 0.40}


@dataclass(frozen=True)
class DossierSimConfig:
    province: str = "long-an"
    dossiers: int = 20_000
    start: date = date(2024, 1, 1)
    as_of: datetime = datetime(2025, 6, 30, 17, 0)  # the simulated "now"; nothing happens after it
    seed: int = 20250701
    extra: dict = field(default_factory=dict, compare=False)

    def key(self) -> str:
        return f"{self.province}-{self.dossiers}-{self.start:%Y%m%d}-{self.as_of:%Y%m%d%H%M}-{self.seed}"


def add_working_days(start: datetime, days: int) -> datetime:
    """Due date: `days` working days after receipt, skipping weekends, ending at 17:00."""
    current = start.date()
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return datetime.combine(current, time(17, 0))


def _working_days(start: date, end: date) -> list[date]:
    days, current = [], start
    while current <= end:
        if current.weekday() < 5:
            days.append(current)
        current += timedelta(days=1)
    return days


def _stamp(moment: datetime | None) -> str | None:
    return moment.strftime(TIMESTAMP_FORMAT) if moment else None


def generate(config: DossierSimConfig) -> Iterator[dict]:
    """Yield dossiers in order of receipt; the same config always yields the same records."""
    rng = random.Random(config.seed)
    prov = province(config.province)
    by_level: dict[str, list[Agency]] = {}
    for agency in agencies(config.province):
        by_level.setdefault(agency.level, []).append(agency)
    levels = list(LEVEL_WEIGHT)
    level_cumulative = [sum(LEVEL_WEIGHT[lv] for lv in levels[: i + 1]) for i in range(len(levels))]
    procedures = {level: for_level(level) for level in levels}

    days = _working_days(config.start, config.as_of.date())
    if not days:
        raise ValueError("the simulated period holds no working day")
    sequence: dict[tuple[str, date], int] = {}
    current_day: date | None = None
    for i in range(config.dossiers):
        day = days[i * len(days) // config.dossiers]
        if day != current_day:
            sequence.clear()  # dossier numbers restart every day; keep memory flat
            current_day = day
        level = levels[bisect.bisect_left(level_cumulative, rng.random() * level_cumulative[-1])]
        agency = rng.choice(by_level[level])
        procedure: Procedure = rng.choice(procedures[level])
        n = sequence[(agency.agency_code, day)] = sequence.get((agency.agency_code, day), 0) + 1
        yield _dossier(rng, config, prov.code, agency, procedure, day, n)


def _dossier(rng: random.Random, config: DossierSimConfig, province_code: str, agency: Agency,
             procedure: Procedure, day: date, number: int) -> dict:
    year = day.year
    roll = rng.random()
    online_share = ONLINE_SHARE.get(year, 0.6)
    if procedure.service_level == "none":
        online_share = 0.0
    if roll < online_share:
        channel = CHANNEL_ONLINE
    elif roll < online_share + 0.03:
        channel = CHANNEL_POSTAL
    else:
        channel = CHANNEL_DIRECT
    received_at = datetime.combine(day, time(7, 30)) + timedelta(minutes=rng.randint(0, 9 * 60))
    submitted_at = received_at - timedelta(minutes=rng.randint(0, 600) if channel == CHANNEL_ONLINE else 0)
    due_at = add_working_days(received_at, procedure.time_limit_working_days)

    finished_at = returned_at = None
    if rng.random() < 0.004:
        status = STATUS_WITHDRAWN
        updated_at = received_at + timedelta(hours=rng.randint(1, 48))
    else:
        if rng.random() < LATE_SHARE.get(year, 0.0005):
            finished_at = due_at + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8))
        else:
            span = max((due_at - received_at).total_seconds(), 3600)
            finished_at = received_at + timedelta(seconds=rng.uniform(0.1, 1.0) * span)
        returned_at = finished_at + timedelta(hours=rng.randint(0, 48))
        if finished_at > config.as_of:
            status = STATUS_SUPPLEMENT if rng.random() < 0.1 else STATUS_IN_PROGRESS
            finished_at = returned_at = None
            updated_at = received_at
        elif returned_at > config.as_of:
            status, returned_at = STATUS_PROCESSED, None
            updated_at = finished_at
        else:
            status = STATUS_RETURNED
            updated_at = returned_at
    updated_at = min(updated_at, config.as_of)

    applicant_kind = 1 if procedure.level == "commune" or rng.random() < 0.7 else 2
    birth_year = rng.randint(1950, 2005)
    fee = procedure.fee_vnd
    return {
        "MaHoSo": f"{agency.agency_code}-{day:%y%m%d}-{number:04d}",
        "MaTTHC": procedure.procedure_code,
        "TenTTHC": procedure.name,
        "TenLinhVuc": procedure.field,
        "KenhThucHien": channel,
        "MaCoQuanTiepNhan": agency.agency_code,
        "TenCoQuanTiepNhan": agency.name,
        "LoaiDoiTuong": applicant_kind,
        "ChuHoSo": people.person_name(rng) if applicant_kind == 1 else people.enterprise_name(rng),
        "SoDinhDanh": people.citizen_id(rng, province_code, birth_year) if applicant_kind == 1 else None,
        "NgayNopHoSo": _stamp(submitted_at),
        "NgayTiepNhan": _stamp(received_at),
        "NgayHenTra": _stamp(due_at),
        "NgayKetThucXuLy": _stamp(finished_at),
        "NgayTra": _stamp(returned_at),
        "TrangThaiHoSo": status,
        "TongLePhi": fee,
        "DuocThanhToanTrucTuyen": int(fee > 0 and channel == CHANNEL_ONLINE and rng.random() < 0.7),
        "NgayCapNhat": _stamp(updated_at),
    }
