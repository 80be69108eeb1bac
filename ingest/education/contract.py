"""Schools and their yearly size, as the education statistics workbook lists them (headers as sent)."""

from __future__ import annotations

from ingest.contract import Contract, Field
from ingest.files import FILE_DATE, ROW_KEY, lineage_fields

LEVELS = frozenset({"Mầm non", "Tiểu học", "THCS", "THPT"})  # cấp học
OWNERSHIP = frozenset({"Công lập", "Dân lập", "Tư thục"})  # loại hình: public / community-run / private
SCHOOL_CODE = r"\d{8}"  # mã trường: the province's code, then 6 digits
COMMUNE_CODE = r"\d{5}"
SCHOOL_YEAR = r"\d{4}-\d{4}"  # năm học, e.g. 2024-2025

# One row per school per school year in both sheets (Kho joins them into _row_key): a school's commune, name
# or level can change from one year to the next (communes merged on 1 July 2025), and each year stays as it was.
KEY_FIELDS = ("Mã trường", "Năm học")

SCHOOLS = Contract(
    source="education",
    entity="schools",
    key=ROW_KEY,
    cursor=FILE_DATE,
    description="Schools (trường học) open in a school year: one row per school per school year.",
    fields=(
        Field("Mã trường", "text", required=True, pattern=SCHOOL_CODE, column="ma_truong"),
        Field("Tên trường", "text", required=True, max_length=300, column="ten_truong"),
        Field("Cấp học", "text", required=True, allowed=LEVELS, column="cap_hoc"),
        Field("Loại hình", "text", allowed=OWNERSHIP, column="loai_hinh"),
        Field("Mã xã", "text", required=True, pattern=COMMUNE_CODE, column="ma_xa"),
        Field("Tên xã", "text", max_length=200, column="ten_xa"),
        Field("Địa chỉ", "text", max_length=500, column="dia_chi"),
        Field("Năm học", "text", required=True, pattern=SCHOOL_YEAR, column="nam_hoc"),
        *lineage_fields(row_key=True, key_length=40),
    ),
)

ENROLMENT = Contract(
    source="education",
    entity="enrolment",
    key=ROW_KEY,
    cursor=FILE_DATE,
    description="Classes, pupils, girls and teachers (lớp, học sinh, giáo viên): one row per school per school year.",
    fields=(
        Field("Mã trường", "text", required=True, pattern=SCHOOL_CODE, column="ma_truong"),
        Field("Năm học", "text", required=True, pattern=SCHOOL_YEAR, column="nam_hoc"),
        Field("Số lớp", "integer", required=True, minimum=0, column="so_lop"),
        Field("Số học sinh", "integer", required=True, minimum=0, column="so_hoc_sinh"),
        Field("Số học sinh nữ", "integer", minimum=0, column="so_hoc_sinh_nu"),
        Field("Số giáo viên", "integer", minimum=0, column="so_giao_vien"),
        *lineage_fields(row_key=True, key_length=40),
    ),
)
