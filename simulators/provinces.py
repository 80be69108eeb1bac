"""Provinces the simulators can play, and the agencies (QCVN 102:2016 identifiers) each one runs, each
valid only in its own period: the district level ends and communes merge on 1 July 2025."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from functools import cache

from simulators.reference import post_2025_communes, pre_2025_units

REORGANISATION = date(2025, 7, 1)  # Resolution 202/2025/QH15; commune mergers per province
FIRST_DAY = date(2016, 1, 1)

DEPARTMENTS = (
    "Văn phòng Ủy ban nhân dân tỉnh",
    "Sở Nội vụ",
    "Sở Tư pháp",
    "Sở Kế hoạch và Đầu tư",
    "Sở Tài chính",
    "Sở Công Thương",
    "Sở Nông nghiệp và Phát triển nông thôn",
    "Sở Giao thông vận tải",
    "Sở Xây dựng",
    "Sở Tài nguyên và Môi trường",
    "Sở Thông tin và Truyền thông",
    "Sở Lao động - Thương binh và Xã hội",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Khoa học và Công nghệ",
    "Sở Giáo dục và Đào tạo",
    "Sở Y tế",
    "Sở Ngoại vụ",
    "Thanh tra tỉnh",
    "Ban Quản lý Khu kinh tế",
)
# After the 2025 reorganisation the departments were merged (e.g. Sở Tài chính took in Sở Kế hoạch và Đầu
# tư); the simulated successor province runs this shorter list.
DEPARTMENTS_2025 = (
    "Văn phòng Ủy ban nhân dân tỉnh",
    "Sở Nội vụ",
    "Sở Tư pháp",
    "Sở Tài chính",
    "Sở Công Thương",
    "Sở Nông nghiệp và Môi trường",
    "Sở Xây dựng",
    "Sở Khoa học và Công nghệ",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Giáo dục và Đào tạo",
    "Sở Y tế",
    "Thanh tra tỉnh",
    "Ban Quản lý Khu kinh tế",
)


@dataclass(frozen=True)
class Province:
    slug: str
    name: str
    code: str  # pre-2025 statistical code (2 digits)
    agency_level1_code: str  # MX1X2 of its People's Committee (QCVN 102:2016); see docs/decisions.md
    successor_name: str  # the province it became part of on 1 July 2025
    successor_code: str
    successor_level1_code: str


PROVINCES = {
    # Long An (80) and Tây Ninh (72) became the new Tây Ninh, which took code 80.
    "long-an": Province("long-an", "Long An", "80", "H37", "Tây Ninh", "80", "H59"),
    # Bến Tre (83), Trà Vinh (84) and Vĩnh Long (86) became the new Vĩnh Long, code 86.
    "vinh-long": Province("vinh-long", "Vĩnh Long", "86", "H62", "Vĩnh Long", "86", "H62"),
}


@dataclass(frozen=True)
class Agency:
    agency_code: str  # QCVN 102:2016 identifier, V1V2V3.Z1Z2.Y1Y2.MX1X2
    name: str
    level: str  # province / district / commune
    admin_unit_code: str  # statistical code of the unit it serves (province, district or commune)
    parent_code: str | None = None  # agency one level up
    valid_from: date = FIRST_DAY
    valid_to: date | None = None  # last day it existed; None while it still does

    def active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def province(slug: str) -> Province:
    try:
        return PROVINCES[slug]
    except KeyError:
        raise ValueError(f"unknown province {slug!r}; choose one of {', '.join(PROVINCES)}") from None


@cache
def agencies(slug: str) -> tuple[Agency, ...]:
    """Every agency of the simulated area, 2016 to today, each with its period of validity."""
    prov = province(slug)
    last_day = date.fromordinal(REORGANISATION.toordinal() - 1)
    l1, l1_new = prov.agency_level1_code, prov.successor_level1_code
    people_committee = f"000.00.00.{l1}"
    found = [Agency(people_committee, f"Ủy ban nhân dân tỉnh {prov.name}", "province", prov.code,
                    valid_to=last_day)]
    found += [
        Agency(f"000.00.{i:02d}.{l1}", f"{name} {prov.name}", "province", prov.code, people_committee,
               valid_to=last_day)
        for i, name in enumerate(DEPARTMENTS, start=1)
    ]
    districts, communes = pre_2025_units(prov.code)
    district_level2 = {}
    for i, district in enumerate(districts, start=31):
        district_level2[district.code] = i
        found.append(Agency(f"000.00.{i:02d}.{l1}", f"Ủy ban nhân dân {district.name}", "district", district.code,
                            people_committee, valid_to=last_day))
    per_district: dict[str, int] = {}
    for commune in communes:
        n = per_district[commune.district_code] = per_district.get(commune.district_code, 0) + 1
        y = district_level2[commune.district_code]
        found.append(Agency(f"000.{n:02d}.{y:02d}.{l1}", f"Ủy ban nhân dân {commune.name}", "commune", commune.code,
                            f"000.00.{y:02d}.{l1}", valid_to=last_day))

    # From 1 July 2025: the successor province's departments, and the merged communes directly under it.
    # Identifiers for the new units are simulated (no published list was available): communes take
    # level-2 codes from 51 upward, 99 communes to a code.
    successor_committee = f"000.00.00.{l1_new}"
    found.append(Agency(successor_committee, f"Ủy ban nhân dân tỉnh {prov.successor_name}", "province",
                        prov.successor_code, valid_from=REORGANISATION))
    found += [
        Agency(f"000.00.{i:02d}.{l1_new}", f"{name} {prov.successor_name}", "province", prov.successor_code,
               successor_committee, valid_from=REORGANISATION)
        for i, name in enumerate(DEPARTMENTS_2025, start=1)
    ]
    for i, (code, name) in enumerate(post_2025_communes(prov.code)):
        found.append(Agency(f"000.{i % 99 + 1:02d}.{51 + i // 99:02d}.{l1_new}", f"Ủy ban nhân dân {name}",
                            "commune", code, successor_committee, valid_from=REORGANISATION))
    codes = [a.agency_code for a in found]
    duplicates = {c for c in codes if codes.count(c) > 1}
    # The same identifier may be reused across periods, never within one.
    for code in duplicates:
        periods = sorted((a.valid_from, a.valid_to or date.max) for a in found if a.agency_code == code)
        assert all(a[1] < b[0] for a, b in itertools.pairwise(periods)), code
    return tuple(found)


def agencies_on(slug: str, day: date, level: str | None = None) -> tuple[Agency, ...]:
    """The agencies that existed on `day` (optionally of one level)."""
    return tuple(a for a in agencies(slug) if a.active_on(day) and (level is None or a.level == level))
