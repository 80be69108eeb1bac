"""The health facilities (cơ sở khám chữa bệnh) of the simulated province, each valid in its own period.

Provincial hospitals run throughout. Each district's health centre (Trung tâm Y tế huyện) becomes a regional
centre (Trung tâm Y tế khu vực) on 1 July 2025, when districts end; it keeps its code. Every commune has a
health station (Trạm Y tế xã) until 30 June 2025; from 1 July 2025 each merged commune has one, and the old
stations of its predecessors report through it. Facility codes are five digits, the province's code then
three (the health-insurance facility code form, *mã cơ sở KCB*); the numbers themselves are simulated.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from simulators.provinces import FIRST_DAY, REORGANISATION, province
from simulators.reference import CROSSWALK, crosswalk_from, post_2025_communes, pre_2025_units

LAST_OLD_DAY = REORGANISATION - timedelta(days=1)

# name (the province's name follows), weekday visits, inpatient share, referral share
PROVINCIAL_HOSPITALS = (
    ("Bệnh viện Đa khoa", 1800, 0.11, 0.010),
    ("Bệnh viện Y học cổ truyền", 260, 0.06, 0.004),
    ("Bệnh viện Phổi", 180, 0.09, 0.008),
    ("Bệnh viện Tâm thần", 120, 0.05, 0.006),
    ("Bệnh viện Sản - Nhi", 650, 0.14, 0.012),
    ("Bệnh viện Mắt", 210, 0.03, 0.005),
)


@dataclass(frozen=True)
class Facility:
    code: str  # mã cơ sở KCB: province code + 3 digits
    name: str
    level: str  # Tỉnh / Huyện / Xã (tuyến)
    commune_code: str  # the commune it stands in, in the units of its period
    valid_from: date
    valid_to: date | None  # last day of this version; None while it lasts
    weekday_visits: float
    inpatient_share: float
    referral_share: float

    def active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _kind_and_rest(name: str) -> tuple[str, str]:
    for kind in ("Thị trấn", "Phường", "Xã", "Thành phố", "Thị xã", "Huyện", "Quận"):
        if name.startswith(kind + " "):
            return kind, name[len(kind) + 1:]
    return "", name


def station_name(commune_name: str) -> str:
    """'Xã Mỹ Yên' → 'Trạm Y tế xã Mỹ Yên'; 'Phường 5' → 'Trạm Y tế Phường 5' (a numbered ward keeps its capital)."""
    kind, rest = _kind_and_rest(commune_name)
    if not kind:
        return f"Trạm Y tế {commune_name}"
    return f"Trạm Y tế {kind if rest.isdigit() else kind.lower()} {rest}"


@cache
def successor_commune(old_province_code: str) -> dict[str, str]:
    """Old commune code → the merged commune (1 July 2025) that took it in, wholly or for the most part."""
    found: dict[str, str] = {}
    for row in crosswalk_from(old_province_code):
        if row.old_code not in found or row.note.startswith("Nhập toàn bộ"):
            found[row.old_code] = row.new_code
    # A few crosswalk rows name the wrong old province (Phường 4 of Tân An is listed under Tiền Giang), so
    # crosswalk_from misses them: look such a commune up by its own code, among this province's new communes.
    _, communes = pre_2025_units(old_province_code)
    missing = {c.code for c in communes} - set(found)
    if missing:
        new_codes = {code for code, _ in post_2025_communes(old_province_code)}
        with CROSSWALK.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                if len(row) > 4 and row[4].strip() in missing and row[2].strip() in new_codes:
                    found.setdefault(row[4].strip(), row[2].strip())
    return found


@cache
def facilities(slug: str) -> tuple[Facility, ...]:
    """Every facility version of the province, 2016 to today."""
    prov = province(slug)
    pc = prov.code
    rng = random.Random(f"health-facilities|{slug}")
    districts, communes = pre_2025_units(pc)
    after = successor_commune(pc)
    capital = communes[0].code

    def successor(code: str) -> str:
        return after.get(code, code)

    found: list[Facility] = []
    for i, (name, visits, inpatient, referral) in enumerate(PROVINCIAL_HOSPITALS, start=1):
        code = f"{pc}{i:03d}"
        found.append(Facility(code, f"{name} {prov.name}", "Tỉnh", capital, FIRST_DAY, LAST_OLD_DAY,
                              visits, inpatient, referral))
        found.append(Facility(code, f"{name} {prov.name}", "Tỉnh", successor(capital), REORGANISATION, None,
                              visits, inpatient, referral))
    for i, district in enumerate(districts, start=11):
        code = f"{pc}{i:03d}"
        kind, rest = _kind_and_rest(district.name)
        seat = next(c.code for c in communes if c.district_code == district.code)
        visits = rng.uniform(250, 600)
        found.append(Facility(code, f"Trung tâm Y tế {kind.lower()} {rest}".replace("  ", " "), "Huyện", seat,
                              FIRST_DAY, LAST_OLD_DAY, visits, 0.08, 0.03))
        # Districts end on 1 July 2025; their health centres serve the same area as regional centres.
        found.append(Facility(code, f"Trung tâm Y tế khu vực {rest}", "Huyện", successor(seat), REORGANISATION,
                              None, visits, 0.08, 0.03))
    old_visits: dict[str, float] = {}
    for i, commune in enumerate(communes, start=100):
        if i > 399:
            raise ValueError(f"{prov.name}: more communes than facility codes 100-399 hold")
        visits = rng.uniform(14, 38)
        old_visits[commune.code] = visits
        found.append(Facility(f"{pc}{i:03d}", station_name(commune.name), "Xã", commune.code, FIRST_DAY,
                              LAST_OLD_DAY, visits, 0.0, 0.035))
    for i, (code, name) in enumerate(post_2025_communes(pc), start=400):
        predecessors = [old for old, new in after.items() if new == code]
        visits = sum(old_visits.get(old, 20.0) for old in predecessors) or 20.0
        found.append(Facility(f"{pc}{i:03d}", station_name(name), "Xã", code, REORGANISATION, None,
                              visits, 0.0, 0.035))
    return tuple(found)


def facilities_on(slug: str, day: date) -> tuple[Facility, ...]:
    return tuple(f for f in facilities(slug) if f.active_on(day))
