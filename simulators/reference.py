"""Real administrative units (before the 2025 reorganisation) read from the repository's reference data."""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference_data" / "admin_units"
PRE_2025_COMMUNES = REFERENCE_DIR / "sunshine-tech_VietnamProvinces" / "Xa_2025-01-04_pre2025.csv"
CROSSWALK = REFERENCE_DIR / "sunshine-tech_VietnamProvinces" / "BangChuyendoiDVHCmoi_cu_khong_merge.csv"


@dataclass(frozen=True)
class District:
    code: str
    name: str


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    kind: str
    district_code: str


def _clean(text: str) -> str:
    # The NSO export carries stray spaces and newlines inside cells.
    return unicodedata.normalize("NFC", " ".join(text.split()))


@cache
def pre_2025_units(province_code: str) -> tuple[tuple[District, ...], tuple[Commune, ...]]:
    """Districts and communes of one province as they stood on 2025-01-04 (NSO list)."""
    districts: dict[str, District] = {}
    communes: list[Commune] = []
    with PRE_2025_COMMUNES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if _clean(row["Mã TP"]) != province_code:
                continue
            district_code = _clean(row["Mã QH"])
            districts.setdefault(district_code, District(district_code, _clean(row["Quận Huyện"])))
            if _clean(row["Mã PX"]):
                communes.append(
                    Commune(_clean(row["Mã PX"]), _clean(row["Phường Xã"]), _clean(row["Cấp"]), district_code)
                )
    if not districts:
        raise ValueError(f"no administrative units for province code {province_code!r} in {PRE_2025_COMMUNES}")
    return tuple(sorted(districts.values(), key=lambda d: d.code)), tuple(sorted(communes, key=lambda c: c.code))


@dataclass(frozen=True)
class CrosswalkRow:
    new_code: str
    new_name: str
    old_code: str
    old_name: str
    note: str  # Nhập toàn bộ (whole) / Nhập một phần (part) / …


def _code_in_parentheses(text: str) -> str:
    text = _clean(text)
    return text[text.rfind("(") + 1: text.rfind(")")] if "(" in text else ""


@cache
def crosswalk_from(old_province_code: str) -> tuple[CrosswalkRow, ...]:
    """NSO's old → new commune crosswalk (1 July 2025) for the communes of one pre-2025 province.

    Rows are chosen by the old commune's own code, not by the file's old-province column: that column is
    wrong on some rows (Phường 4, Tân An, 27691, is filed under Tiền Giang)."""
    communes = {c.code for c in pre_2025_units(old_province_code)[1]}
    rows = []
    with CROSSWALK.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        for row in reader:
            if len(row) < 8 or _clean(row[4]) not in communes or not _clean(row[2]):
                continue
            rows.append(CrosswalkRow(_clean(row[2]), _clean(row[1]), _clean(row[4]), _clean(row[3]), _clean(row[5])))
    return tuple(rows)


@cache
def post_2025_communes(old_province_code: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of the communes formed from one pre-2025 province's communes on 1 July 2025."""
    return tuple(sorted({(r.new_code, r.new_name) for r in crosswalk_from(old_province_code)}))
