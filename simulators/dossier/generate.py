"""Deterministic generation of one-stop-shop dossiers (hồ sơ thủ tục hành chính) in the portal's sync format,
2016 to the simulated "now", across the 1 July 2025 reorganisation."""

from __future__ import annotations

import bisect
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from simulators import people
from simulators.dossier.procedures import (
    DEPARTMENT_SUCCESSORS,
    NONE,
    Procedure,
    by_level,
    catalogue,
    level_history,
    online_services_on,
)
from simulators.provinces import REORGANISATION, Agency, agencies_on, province
from simulators.workdays import due_at, is_working_day

TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"  # the national portal's sync format, local time (UTC+7)

CHANNEL_DIRECT, CHANNEL_ONLINE, CHANNEL_POSTAL = 1, 2, 3
STATUS_RECEIVED, STATUS_IN_PROGRESS, STATUS_SUPPLEMENT, STATUS_WITHDRAWN = 2, 4, 5, 7
STATUS_PROCESSED, STATUS_RETURNED = 9, 10

# Share of all dossiers submitted online, by year of receipt (only procedures online that day can be).
ONLINE_SHARE = {2016: 0.01, 2017: 0.02, 2018: 0.03, 2019: 0.04, 2020: 0.06, 2021: 0.18, 2022: 0.28,
                2023: 0.38, 2024: 0.48, 2025: 0.58, 2026: 0.63}
# Share of resolved dossiers resolved late (Long An: 99% on time in 2020, 99.99% in 2024).
LATE_SHARE = {2016: 0.05, 2017: 0.04, 2018: 0.03, 2019: 0.02, 2020: 0.01, 2021: 0.008, 2022: 0.004,
              2023: 0.002, 2024: 0.0001, 2025: 0.0001, 2026: 0.0001}
# Long An, 8 July – 19 October 2021: no walk-in desk; dossiers came online or by post.
NO_WALK_IN = (date(2021, 7, 8), date(2021, 10, 19))
LEVEL_WEIGHT = {"province": 0.25, "district": 0.35, "commune": 0.40}
YEARLY_GROWTH = 0.08  # more dossiers each year


@dataclass(frozen=True)
class DossierSimConfig:
    province: str = "long-an"
    dossiers: int = 20_000
    start: date = date(2016, 1, 1)
    as_of: datetime = datetime(2026, 11, 1)  # the simulated "now"; nothing happens after it
    seed: int = 20250701

    def key(self) -> str:
        return f"{self.province}-{self.dossiers}-{self.start:%Y%m%d}-{self.as_of:%Y%m%d%H%M}-{self.seed}"


def stamp(moment: datetime | None) -> str | None:
    return moment.strftime(TIMESTAMP_FORMAT) if moment else None


def _day_weights(start: date, end: date) -> tuple[list[date], list[float]]:
    days, cumulative, total = [], [], 0.0
    current = start
    while current <= end:
        if is_working_day(current):
            total += 1 + YEARLY_GROWTH * (current.year - 2016)
            days.append(current)
            cumulative.append(total)
        current += timedelta(days=1)
    return days, cumulative


class _Agencies:
    """Who receives a procedure's dossier on a given day (agencies exist only in their own periods)."""

    def __init__(self, slug: str) -> None:
        self.periods = {}
        for first_day in (date(2016, 1, 1), REORGANISATION):
            found = agencies_on(slug, first_day)
            self.periods[first_day] = {level: [a for a in found if a.level == level]
                                       for level in ("province", "district", "commune")}

    def receiver(self, rng: random.Random, procedure: Procedure, day: date) -> Agency:
        by_level = self.periods[REORGANISATION if day >= REORGANISATION else date(2016, 1, 1)]
        if procedure.level == "province" and procedure.department:
            department = procedure.department
            if day >= REORGANISATION:
                department = DEPARTMENT_SUCCESSORS.get(department, department)
            for agency in by_level["province"]:
                if agency.name.startswith(department + " "):
                    return agency
        level = procedure.level
        if level == "district" and not by_level["district"]:
            level = "commune"  # the district level is gone: its procedures moved to the communes
        return rng.choice(by_level[level])


def generate(config: DossierSimConfig) -> Iterator[dict]:
    """Yield dossiers in order of receipt; the same config always yields the same records."""
    rng = random.Random(config.seed)
    prov = province(config.province)
    procedures = by_level(catalogue(config.seed))
    levels = list(LEVEL_WEIGHT)
    level_cumulative = [sum(LEVEL_WEIGHT[lv] for lv in levels[: i + 1]) for i in range(len(levels))]
    receivers = _Agencies(config.province)
    days, cumulative = _day_weights(config.start, config.as_of.date() - timedelta(days=1))
    if not days:
        raise ValueError("the simulated period holds no working day")
    total = cumulative[-1]
    sequence: dict[str, int] = {}
    current_day: date | None = None
    for i in range(config.dossiers):
        day = days[min(bisect.bisect_left(cumulative, (i + 0.5) / config.dossiers * total), len(days) - 1)]
        if day != current_day:
            sequence.clear()  # dossier numbers restart every day; keep memory flat
            current_day = day
        level = levels[bisect.bisect_left(level_cumulative, rng.random() * level_cumulative[-1])]
        procedure = rng.choice(procedures[level])
        agency = receivers.receiver(rng, procedure, day)
        n = sequence[agency.agency_code] = sequence.get(agency.agency_code, 0) + 1
        yield _dossier(rng, config, prov.code, agency, procedure, day, n)


def _channel(rng: random.Random, procedure: Procedure, day: date) -> int:
    online_capable = procedure.service_level_on(day) != NONE
    capable_share = max(online_services_on(day)[0] / 1758, 1e-6)
    p_online = min(0.95, ONLINE_SHARE.get(day.year, 0.6) / capable_share) if online_capable else 0.0
    roll = rng.random()
    if roll < p_online:
        return CHANNEL_ONLINE
    if NO_WALK_IN[0] <= day <= NO_WALK_IN[1] or roll > 0.97:
        return CHANNEL_POSTAL
    return CHANNEL_DIRECT


def _dossier(rng: random.Random, config: DossierSimConfig, province_code: str, agency: Agency,
             procedure: Procedure, day: date, number: int) -> dict:
    channel = _channel(rng, procedure, day)
    received_at = datetime.combine(day, time(7, 30)) + timedelta(minutes=rng.randint(0, 9 * 60))
    submitted_at = received_at - timedelta(minutes=rng.randint(0, 600) if channel == CHANNEL_ONLINE else 0)
    due = due_at(received_at, procedure.time_limit_working_days, paper=channel != CHANNEL_ONLINE)

    finished_at = returned_at = None
    if rng.random() < 0.004:
        status = STATUS_WITHDRAWN
        updated_at = received_at + timedelta(hours=rng.randint(1, 48))
    else:
        if rng.random() < LATE_SHARE.get(day.year, 0.0001):
            finished_at = due + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8))
        else:
            span = max((due - received_at).total_seconds(), 3600)
            finished_at = received_at + timedelta(seconds=rng.uniform(0.1, 1.0) * span)
        returned_at = finished_at + timedelta(hours=rng.randint(1, 30))
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
        "NgayNopHoSo": stamp(submitted_at),
        "NgayTiepNhan": stamp(received_at),
        "NgayHenTra": stamp(due),
        "NgayKetThucXuLy": stamp(finished_at),
        "NgayTra": stamp(returned_at),
        "TrangThaiHoSo": status,
        "TongLePhi": fee,
        "DuocThanhToanTrucTuyen": int(fee > 0 and channel == CHANNEL_ONLINE and rng.random() < 0.7),
        "NgayCapNhat": stamp(updated_at),
    }


def procedure_records(config: DossierSimConfig) -> Iterator[dict]:
    """The catalogue as the portal serves it on the simulated day: current level and its history so far."""
    today = config.as_of.date()
    for procedure in catalogue(config.seed):
        history = [h for h in level_history(procedure) if h["TuNgay"] <= f"{today:%Y%m%d}"]
        yield {
            "MaTTHC": procedure.procedure_code,
            "TenTTHC": procedure.name,
            "TenLinhVuc": procedure.field,
            "CapThucHien": {"province": "Cấp Tỉnh", "district": "Cấp Huyện", "commune": "Cấp Xã"}[procedure.level],
            "ThoiHanGiaiQuyet": procedure.time_limit_working_days,
            "PhiLePhi": procedure.fee_vnd,
            "MucDoDVC": procedure.service_level_on(today),
            "LichSuMucDo": history,
            "NgayCapNhat": history[-1]["TuNgay"] + "080000",
        }


STEP_NAMES = ("Tiếp nhận hồ sơ", "Thẩm định, xử lý hồ sơ", "Phê duyệt kết quả", "Trả kết quả")


def status_steps(dossier: dict) -> list[dict]:
    """The processing log of one dossier (derived from it, deterministically), as the portal lists it."""
    code = dossier["MaHoSo"]
    rng = random.Random(int.from_bytes(hashlib.blake2b(code.encode(), digest_size=8).digest(), "big"))
    parse = lambda s: datetime.strptime(s, TIMESTAMP_FORMAT) if s else None  # noqa: E731
    received, due = parse(dossier["NgayTiepNhan"]), parse(dossier["NgayHenTra"])
    finished, returned = parse(dossier["NgayKetThucXuLy"]), parse(dossier["NgayTra"])
    desk = f"Bộ phận Một cửa - {dossier['TenCoQuanTiepNhan']}"
    office = f"Phòng chuyên môn - {dossier['TenCoQuanTiepNhan']}"
    accepted = received + timedelta(minutes=rng.randint(5, 60))
    plan = [(STEP_NAMES[0], desk, STATUS_RECEIVED, received, accepted, datetime.combine(received.date(), time(17)))]
    if dossier["TrangThaiHoSo"] == STATUS_WITHDRAWN:
        plan.append(("Rút hồ sơ", desk, STATUS_WITHDRAWN, accepted, parse(dossier["NgayCapNhat"]), None))
    else:
        review_end = (finished - timedelta(hours=rng.randint(1, 4))) if finished else None
        review_end = max(review_end, accepted) if review_end else None
        plan.append((STEP_NAMES[1], office, STATUS_IN_PROGRESS, accepted, review_end,
                     due - timedelta(days=1) if due else None))
        if finished:
            plan.append((STEP_NAMES[2], office, STATUS_PROCESSED, review_end, finished, due))
        if returned:
            plan.append((STEP_NAMES[3], desk, STATUS_RETURNED, finished, returned, None))
    return [
        {"IdBuoc": f"{code}-B{n}", "MaHoSo": code, "ThuTu": n, "TenBuoc": name, "DonViXuLy": unit,
         "CanBoXuLy": people.person_name(rng), "TrangThai": status, "ThoiGianBatDau": stamp(start),
         "ThoiGianKetThuc": stamp(end), "HanXuLy": stamp(deadline), "NgayCapNhat": dossier["NgayCapNhat"]}
        for n, (name, unit, status, start, end, deadline) in enumerate(plan, start=1)
    ]
