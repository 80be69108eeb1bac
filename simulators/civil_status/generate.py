"""Deterministic civil status registrations (hộ tịch): births, marriages and deaths registered at the commune
People's Committees, 2016 to the simulated "now", with the synthetic personal data they carry.

Field names follow the Ministry of Justice's civil status data (the digitisation templates and the
interconnection payloads use nksHoTen, meHoTen, chongHoTen, nktNgayChet, quyenSo, …; *practice*)."""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from simulators import people
from simulators.provinces import REORGANISATION, Agency, agencies_on, province
from simulators.workdays import is_working_day

SHARE_OF_SCALE = 0.2  # registrations per dossier of the plan's scale
# Long An registers roughly 25,000 births, 13,000 marriages and 10,000 deaths a year.
ENTITY_SHARES = {"births": 0.52, "marriages": 0.27, "deaths": 0.21}
ENTITY_SEEDS = {"births": 1, "marriages": 2, "deaths": 3}
BOOK_SIZE = 200  # entries per register book (quyển); a commune opens the next one when it is full
LOCAL = "+07:00"

MALE_MIDDLE = ("Văn", "Hữu", "Minh", "Quốc", "Đức", "Hoàng", "Thanh", "Công", "Gia")
FEMALE_MIDDLE = ("Thị", "Ngọc", "Thị Thu", "Kim", "Thanh", "Bảo", "Thị Mỹ", "Hồng")
MALE_GIVEN = ("An", "Bình", "Dũng", "Hùng", "Hiếu", "Khánh", "Lộc", "Nam", "Phúc", "Quân", "Sơn", "Thành", "Trí",
              "Tuấn", "Khang", "Huy", "Long", "Phát")
FEMALE_GIVEN = ("Châu", "Duyên", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Nhung",
                "Phương", "Thảo", "Thủy", "Trang", "Trinh", "Uyên", "Vân", "Vy", "Yến", "Ngân")
# Ethnic groups of the Mekong delta provinces, roughly in proportion; ethnicity is sensitive personal data.
ETHNICITIES = (("Kinh", 0.975), ("Hoa", 0.012), ("Khmer", 0.010), ("Chăm", 0.003))
FOREIGN_NATIONALITIES = ("Hàn Quốc", "Trung Quốc", "Đài Loan (Trung Quốc)", "Hoa Kỳ", "Campuchia")
CAUSES_OF_DEATH = (("Bệnh già", 0.34), ("Bệnh tim mạch", 0.18), ("Đột quỵ", 0.14), ("Ung thư", 0.16),
                   ("Bệnh hô hấp", 0.07), ("Tai nạn giao thông", 0.04), ("Đuối nước", 0.01), ("Bệnh khác", 0.06))
YOUNG_CAUSES_OF_DEATH = (("Tai nạn giao thông", 0.35), ("Đuối nước", 0.15), ("Ung thư", 0.15), ("Bệnh khác", 0.35))
# Long An, July–September 2021: the COVID-19 wave; deaths registered then were several times the usual.
COVID_WAVE = (date(2021, 7, 1), date(2021, 9, 30))
CORRECTED = "Đã cải chính, bổ sung thông tin hộ tịch"


@dataclass(frozen=True)
class CivilStatusSimConfig:
    province: str = "long-an"
    registrations: int = 10_000  # all three kinds together
    start: date = date(2016, 1, 1)
    as_of: datetime = datetime(2026, 11, 1)
    seed: int = 20250701

    def key(self) -> str:
        return f"{self.province}-{self.registrations}-{self.start:%Y%m%d}-{self.as_of:%Y%m%d%H%M}-{self.seed}"

    def count(self, entity: str) -> int:
        return round(self.registrations * ENTITY_SHARES[entity])


def stamp(moment: datetime) -> str:
    """ISO 8601 in local time with its offset: sorts as text in time order."""
    return moment.replace(microsecond=0).isoformat() + LOCAL


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _weighted(rng: random.Random, items: tuple[tuple[str, float], ...]) -> str:
    roll, total = rng.random() * sum(w for _, w in items), 0.0
    for item, weight in items:
        total += weight
        if roll < total:
            return item
    return items[-1][0]


def person(rng: random.Random, female: bool, surname: str | None = None) -> str:
    middle = rng.choice(FEMALE_MIDDLE if female else MALE_MIDDLE)
    given = rng.choice(FEMALE_GIVEN if female else MALE_GIVEN)
    return f"{surname or rng.choice(people.SURNAMES)} {middle} {given}"


def identity_number(rng: random.Random, province_code: str, birthday: date, female: bool) -> str:
    """The 12-digit personal identification number; its 4th digit tells century and sex (0/1 1900s, 2/3 2000s)."""
    number = people.citizen_id(rng, province_code, birthday.year)
    century = 0 if birthday.year < 2000 else 2
    return f"{number[:3]}{century + int(female)}{number[4:]}"


def birthday(rng: random.Random, on: date, min_age: int, max_age: int) -> date:
    return on - timedelta(days=rng.randint(min_age * 365, max_age * 365 + 364))


class _Registrars:
    """The commune People's Committees that register, each in its own period, and their books: numbers (số)
    restart every year, a book (quyển) holds BOOK_SIZE entries."""

    def __init__(self, slug: str) -> None:
        before = REORGANISATION - timedelta(days=1)
        self.periods = {after: agencies_on(slug, day, "commune")
                        for after, day in ((False, before), (True, REORGANISATION))}
        self.numbers: dict[str, int] = {}
        self.year: int | None = None

    def register(self, rng: random.Random, day: date) -> tuple[Agency, int, str]:
        if day.year != self.year:
            self.numbers.clear()  # a new year, new books: memory stays flat
            self.year = day.year
        agency = rng.choice(self.periods[day >= REORGANISATION])
        number = self.numbers[agency.agency_code] = self.numbers.get(agency.agency_code, 0) + 1
        return agency, number, f"{(number - 1) // BOOK_SIZE + 1:02d}/{day.year}"


def _days(config: CivilStatusSimConfig, entity: str) -> tuple[list[date], list[float]]:
    days, weights = [], []
    current, end = config.start, config.as_of.date() - timedelta(days=1)
    while current <= end:
        if is_working_day(current):
            weight = 1.0
            if entity == "deaths" and COVID_WAVE[0] <= current <= COVID_WAVE[1]:
                weight = 4.0
            if entity == "marriages" and current.month in (11, 12, 1):
                weight = 1.6  # the wedding season, before and after Tết
            days.append(current)
            weights.append(weight)
        current += timedelta(days=1)
    return days, _cumulative(weights)


def commune_label(agency: Agency) -> str:
    return agency.name.removeprefix("Ủy ban nhân dân ")


def address(rng: random.Random, agency: Agency, province_name: str) -> str:
    return f"Ấp {rng.randint(1, 9)}, {commune_label(agency)}, tỉnh {province_name}"


def generate(config: CivilStatusSimConfig, entity: str) -> Iterator[dict]:
    """Yield one kind of registration (births, marriages or deaths) in order of registration; the same
    config always yields the same records."""
    make = {"births": _birth, "marriages": _marriage, "deaths": _death}[entity]
    rng = random.Random(config.seed * 10 + ENTITY_SEEDS[entity])
    prov = province(config.province)
    registrars = _Registrars(config.province)
    days, cumulative = _days(config, entity)
    if not days:
        raise ValueError("the simulated period holds no working day")
    count = config.count(entity)
    for i in range(count):
        day = days[min(bisect.bisect_left(cumulative, (i + 0.5) / count * cumulative[-1]), len(days) - 1)]
        agency, number, book = registrars.register(rng, day)
        registered_at = datetime.combine(day, time(7, 30)) + timedelta(minutes=rng.randint(0, 8 * 60))
        province_name = prov.name if day < REORGANISATION else prov.successor_name
        record = {"ID": i + 1, "so": number, "quyenSo": book, "ngayDangKy": day.isoformat(),
                  "noiDangKy": agency.agency_code}
        record.update(make(rng, day, agency, prov.code, province_name))
        updated_at = registered_at
        record["ghiChu"] = None
        if rng.random() < 0.03:  # corrected later (cải chính, bổ sung hộ tịch)
            updated_at = min(registered_at + timedelta(days=rng.randint(5, 400), hours=rng.randint(0, 6)),
                             config.as_of)
            record["ghiChu"] = CORRECTED
        record["ngayCapNhat"] = stamp(updated_at)
        yield record


def _ethnicity(rng: random.Random) -> str:
    return _weighted(rng, ETHNICITIES)


def _birth(rng: random.Random, day: date, agency: Agency, province_code: str, province_name: str) -> dict:
    kind = 1 if rng.random() < 0.9 else (2 if rng.random() < 0.85 else 3)  # on time / late / re-registration
    born = day - timedelta(days=rng.randint(1, 60) if kind == 1 else rng.randint(61, 365 * 30))
    female = rng.random() < 0.48
    mother_born = birthday(rng, born, 18, 42)
    has_father = rng.random() < 0.96
    father_born = birthday(rng, born, 20, 50)
    father_name = person(rng, False) if has_father else None
    mother_name = person(rng, True)
    surname = (father_name or mother_name).split()[0]
    ethnicity = _ethnicity(rng)
    home = address(rng, agency, province_name)
    in_hospital = rng.random() < 0.93
    place = (f"Bệnh viện Đa khoa tỉnh {province_name}" if in_hospital and rng.random() < 0.4 else
             f"Trung tâm Y tế khu vực, tỉnh {province_name}" if in_hospital else
             f"Trạm Y tế {commune_label(agency)}, tỉnh {province_name}")
    informant = rng.random()
    return {
        "loaiDangKy": kind,
        "nksHoTen": person(rng, female, surname),
        "nksGioiTinh": 2 if female else 1,
        "nksNgaySinh": born.isoformat(),
        "nksDanToc": ethnicity,
        "nksQuocTich": "Việt Nam",
        "nksNoiSinh": place,
        "nksNoiSinhDVHC": agency.admin_unit_code,
        "nksSoDinhDanh": identity_number(rng, province_code, born, female),
        "meHoTen": mother_name,
        "meNgaySinh": mother_born.isoformat(),
        "meDanToc": ethnicity,
        "meQuocTich": "Việt Nam",
        "meNoiCuTru": home,
        "meSoGiayToTuyThan": identity_number(rng, province_code, mother_born, True),
        "chaHoTen": father_name,
        "chaNgaySinh": father_born.isoformat() if has_father else None,
        "chaDanToc": ethnicity if has_father else None,
        "chaQuocTich": "Việt Nam" if has_father else None,
        "chaNoiCuTru": home if has_father else None,
        "chaSoGiayToTuyThan": identity_number(rng, province_code, father_born, False) if has_father else None,
        "nycHoTen": father_name if has_father and informant < 0.6 else mother_name if informant < 0.9 else
        person(rng, rng.random() < 0.5, surname),
        "nycQuanHe": "Cha" if has_father and informant < 0.6 else "Mẹ" if informant < 0.9 else
        rng.choice(("Ông nội", "Bà nội", "Ông ngoại", "Bà ngoại")),
    }


def _spouse(rng: random.Random, day: date, agency: Agency, province_code: str, province_name: str,
            female: bool) -> dict:
    born = birthday(rng, day, 18 if female else 20, 38 if female else 45)
    if rng.random() < 0.02:
        nationality = rng.choice(FOREIGN_NATIONALITIES)
        document = f"{rng.choice('MPEG')}{rng.randint(1_000_000, 99_999_999)}"  # a passport number
        residence = f"Thường trú tại {nationality}"
        ethnicity = None
    else:
        nationality, ethnicity = "Việt Nam", _ethnicity(rng)
        document = identity_number(rng, province_code, born, female)
        residence = address(rng, agency, province_name)
    return {"HoTen": person(rng, female), "NgaySinh": born.isoformat(), "DanToc": ethnicity,
            "QuocTich": nationality, "NoiCuTru": residence, "SoGiayToTuyThan": document}


def _marriage(rng: random.Random, day: date, agency: Agency, province_code: str, province_name: str) -> dict:
    husband = _spouse(rng, day, agency, province_code, province_name, female=False)
    wife = _spouse(rng, day, agency, province_code, province_name, female=True)
    return {"loaiDangKy": 1 if rng.random() < 0.97 else 2,  # registration / re-registration
            **{f"chong{k}": v for k, v in husband.items()}, **{f"vo{k}": v for k, v in wife.items()}}


def _death(rng: random.Random, day: date, agency: Agency, province_code: str, province_name: str) -> dict:
    kind = 1 if rng.random() < 0.93 else (2 if rng.random() < 0.9 else 3)  # on time / late / re-registration
    died = day - timedelta(days=rng.randint(0, 15) if kind == 1 else rng.randint(16, 365 * 5))
    female = rng.random() < 0.47
    young = rng.random() < 0.07
    born = birthday(rng, died, 0, 39) if young else birthday(rng, died, 40, 98)
    causes = YOUNG_CAUSES_OF_DEATH if young else CAUSES_OF_DEATH
    cause = "COVID-19" if COVID_WAVE[0] <= died <= COVID_WAVE[1] and rng.random() < 0.6 else _weighted(rng, causes)
    name = person(rng, female)
    at_home = rng.random() < 0.7
    home = address(rng, agency, province_name)
    return {
        "loaiDangKy": kind,
        "nktHoTen": name,
        "nktGioiTinh": 2 if female else 1,
        "nktNgaySinh": born.isoformat(),
        "nktDanToc": _ethnicity(rng),
        "nktQuocTich": "Việt Nam",
        "nktNoiCuTru": home,
        "nktSoGiayToTuyThan": identity_number(rng, province_code, born, female),
        "nktNgayChet": died.isoformat(),
        "nktNoiChet": home if at_home else f"Bệnh viện Đa khoa tỉnh {province_name}",
        "nktNguyenNhanChet": cause,
        "nycHoTen": person(rng, rng.random() < 0.5, name.split()[0]),
        "nycQuanHe": rng.choice(("Con", "Con", "Chồng" if female else "Vợ", "Cháu", "Anh", "Chị", "Em")),
    }
