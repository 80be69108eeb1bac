"""Provinces the simulators can play, and the agencies (QCVN 102:2016 identifiers) each one runs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from simulators.reference import pre_2025_units

# Level-1 body codes (MX1X2) are configurable: the values below follow the QCVN 102:2016 'H' series
# for provinces but were not checked against the official appendix here (docs/decisions.md).
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


@dataclass(frozen=True)
class Province:
    slug: str
    name: str
    code: str  # pre-2025 statistical code (2 digits)
    agency_level1_code: str  # MX1X2 of the provincial People's Committee


PROVINCES = {
    "long-an": Province("long-an", "Long An", "80", "H37"),
    "vinh-long": Province("vinh-long", "Vĩnh Long", "86", "H62"),
}


@dataclass(frozen=True)
class Agency:
    agency_code: str  # QCVN 102:2016 identifier, V1V2V3.Z1Z2.Y1Y2.MX1X2
    name: str
    level: str  # province / district / commune
    admin_unit_code: str


def province(slug: str) -> Province:
    try:
        return PROVINCES[slug]
    except KeyError:
        raise ValueError(f"unknown province {slug!r}; choose one of {', '.join(PROVINCES)}") from None


@cache
def agencies(slug: str) -> tuple[Agency, ...]:
    """Agencies that receive dossiers: departments, district centres and commune one-stop desks."""
    prov = province(slug)
    l1 = prov.agency_level1_code
    found = [
        Agency(f"000.00.{i:02d}.{l1}", f"{name} {prov.name}", "province", prov.code)
        for i, name in enumerate(DEPARTMENTS, start=1)
    ]
    districts, communes = pre_2025_units(prov.code)
    district_level2 = {}
    for i, district in enumerate(districts, start=31):
        district_level2[district.code] = i
        found.append(Agency(f"000.00.{i:02d}.{l1}", f"Ủy ban nhân dân {district.name}", "district", district.code))
    per_district: dict[str, int] = {}
    for commune in communes:
        n = per_district[commune.district_code] = per_district.get(commune.district_code, 0) + 1
        y = district_level2[commune.district_code]
        found.append(Agency(f"000.{n:02d}.{y:02d}.{l1}", f"Ủy ban nhân dân {commune.name}", "commune", commune.code))
    return tuple(found)
