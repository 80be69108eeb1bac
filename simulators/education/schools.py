"""The schools of the simulated province and their yearly size: plausible schools named after real communes.

Each commune has a kindergarten (mầm non), one or two primary schools (tiểu học) and a lower secondary school
(THCS); each district has upper secondary schools (THPT); towns and wards have private kindergartens. A few
schools merge into a neighbour over the years, as provinces consolidated small schools. A school stands in the
commune of its school year: from 2025-2026 (the first year after 1 July 2025) the merged commune that took in
its old one. School codes (mã trường) are eight digits, the province's code first; the numbers are simulated.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import cache

from simulators.health.facilities import successor_commune
from simulators.provinces import province
from simulators.reference import post_2025_communes, pre_2025_units

FIRST_NEW_YEAR = 2025  # the 2025-2026 school year opens after the reorganisation
LEVELS = ("Mầm non", "Tiểu học", "THCS", "THPT")
PRIVATE_NAMES = ("Hoa Sen", "Sao Mai", "Họa Mi", "Ánh Dương", "Tuổi Thơ", "Vành Khuyên", "Măng Non", "Hướng Dương")
# (pupils range, pupils per class, teachers per class) per level
SIZES = {"Mầm non": ((120, 380), 28, 2.0), "Tiểu học": ((280, 950), 33, 1.45),
         "THCS": ((350, 1200), 40, 1.9), "THPT": ((700, 1800), 42, 2.25)}


@dataclass(frozen=True)
class School:
    code: str  # mã trường
    name: str
    level: str  # cấp học
    ownership: str  # loại hình: Công lập / Tư thục
    old_commune: tuple[str, str]  # (code, name) until the 2024-2025 school year
    new_commune: tuple[str, str]  # (code, name) from 2025-2026
    hamlet: int  # ấp / khu phố number, for the address
    first_year: int  # first school year (its opening September)
    last_year: int | None  # last school year, when it merged into another

    def open_in(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)

    def commune(self, year: int) -> tuple[str, str]:
        return self.new_commune if year >= FIRST_NEW_YEAR else self.old_commune


def _rest(name: str) -> str:
    for kind in ("Thị trấn", "Phường", "Xã", "Thành phố", "Thị xã", "Huyện"):
        if name.startswith(kind + " "):
            rest = name[len(kind) + 1:]
            return name if rest.isdigit() else rest
    return name


@cache
def schools(slug: str, multiplier: int = 1) -> tuple[School, ...]:
    """Every school of the province, 2016 to today. `multiplier` > 1 adds more schools per commune, for load
    tests at scale (Trường Tiểu học Mỹ Yên 2, 3, …)."""
    prov = province(slug)
    pc = prov.code
    rng = random.Random(f"education-schools|{slug}|{multiplier}")
    districts, communes = pre_2025_units(pc)
    after = successor_commune(pc)
    new_names = dict(post_2025_communes(pc))
    counters = {level: 0 for level in LEVELS}
    found: list[School] = []

    def add(level: str, name: str, commune: tuple[str, str], ownership: str = "Công lập",
            first_year: int = 2016, last_year: int | None = None) -> None:
        counters[level] += 1
        digit = LEVELS.index(level) + 1
        new_code = after.get(commune[0], commune[0])
        found.append(School(f"{pc}{digit}{counters[level]:05d}", name, level, ownership, commune,
                            (new_code, new_names.get(new_code, commune[1])), rng.randint(1, 9), first_year,
                            last_year))

    for copy in range(1, multiplier + 1):
        suffix = "" if copy == 1 else f" {copy}"
        for commune in communes:
            place = (commune.code, commune.name)
            rest = _rest(commune.name)
            add("Mầm non", f"Trường Mầm non {rest}{suffix}", place)
            primaries = 2 if rng.random() < 0.35 else 1
            for letter in ("A", "B")[:primaries] if primaries == 2 else ("",):
                # A second primary school sometimes merged into the first (consolidation of small schools).
                last = rng.choice((2018, 2019, 2020, 2021, 2023)) if letter == "B" and rng.random() < 0.3 else None
                add("Tiểu học", f"Trường Tiểu học {rest}{' ' + letter if letter else ''}{suffix}", place,
                    last_year=last)
            add("THCS", f"Trường THCS {rest}{suffix}", place)
            if commune.kind in ("Phường", "Thị trấn") and rng.random() < 0.6:
                add("Mầm non", f"Trường Mầm non tư thục {rng.choice(PRIVATE_NAMES)} {rest}{suffix}", place,
                    "Tư thục", first_year=rng.choice((2016, 2016, 2018, 2020, 2022)))
        for district in districts:
            seat = next(c for c in communes if c.district_code == district.code)
            add("THPT", f"Trường THPT {_rest(district.name)}{suffix}", (seat.code, seat.name))
            others = [c for c in communes if c.district_code == district.code and c.code != seat.code]
            if others:
                second = rng.choice(others)
                add("THPT", f"Trường THPT {_rest(second.name)}{suffix}", (second.code, second.name))
    return tuple(found)


@dataclass(frozen=True)
class Enrolment:
    classes: int  # số lớp
    pupils: int  # số học sinh
    girls: int  # số học sinh nữ
    teachers: int  # số giáo viên


def enrolment(school: School, year: int, seed: int) -> Enrolment:
    """A school's size in one school year: steady with small yearly changes; fewer children from 2021 (births
    fell), same input, same figures."""
    (low, high), per_class, teachers_per_class = SIZES[school.level]
    base = random.Random(f"{seed}|{school.code}").uniform(low, high)
    rng = random.Random(f"{seed}|{school.code}|{year}")
    trend = 1.0 + 0.01 * (year - 2016) - (0.03 * (year - 2020) if school.level == "Mầm non" and year > 2020 else 0)
    pupils = max(20, round(base * trend * rng.uniform(0.96, 1.04)))
    classes = max(1, math.ceil(pupils / per_class))
    girls = round(pupils * rng.uniform(0.46, 0.51))
    teachers = max(classes, round(classes * teachers_per_class * rng.uniform(0.9, 1.1)))
    return Enrolment(classes, pupils, girls, teachers)
