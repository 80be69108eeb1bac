"""Daily visits per facility, as the provincial health information system exports them (headers as sent)."""

from __future__ import annotations

from ingest.contract import Contract, Field
from ingest.files import FILE_DATE, ROW_KEY, lineage_fields

SEXES = frozenset({"Nam", "Nữ"})
AGE_GROUPS = frozenset({"Dưới 6 tuổi", "6-15 tuổi", "16-59 tuổi", "Từ 60 tuổi"})
LEVELS = frozenset({"Tỉnh", "Huyện", "Xã"})  # tuyến: provincial, district (regional from July 2025), commune
FACILITY_CODE = r"\d{5}"  # mã cơ sở KCB: the province's 2-digit code, then 3 digits
COMMUNE_CODE = r"\d{5}"  # Decision 124/2004/QĐ-TTg, Decision 19/2025/QĐ-TTg

# The business key: one row per facility, day, sex and age group (Kho joins them into _row_key).
KEY_FIELDS = ("Mã cơ sở KCB", "Ngày khám", "Giới tính", "Nhóm tuổi")

VISITS = Contract(
    source="health",
    entity="visits",
    key=ROW_KEY,
    cursor=FILE_DATE,
    description="Visits to health facilities (lượt khám chữa bệnh): one row per facility, day, sex and age group.",
    fields=(
        Field("Mã cơ sở KCB", "text", required=True, pattern=FACILITY_CODE, column="ma_co_so_kcb"),
        Field("Tên cơ sở KCB", "text", required=True, max_length=300, column="ten_co_so_kcb"),
        Field("Tuyến", "text", allowed=LEVELS, column="tuyen"),
        Field("Mã xã", "text", required=True, pattern=COMMUNE_CODE, column="ma_xa"),
        Field("Ngày khám", "date", required=True, column="ngay_kham"),
        Field("Giới tính", "text", required=True, allowed=SEXES, column="gioi_tinh"),
        Field("Nhóm tuổi", "text", required=True, allowed=AGE_GROUPS, column="nhom_tuoi"),
        Field("Số lượt khám", "integer", required=True, minimum=0, column="so_luot_kham"),
        Field("Số lượt khám BHYT", "integer", minimum=0, column="so_luot_kham_bhyt"),
        Field("Số lượt nội trú", "integer", minimum=0, column="so_luot_noi_tru"),
        Field("Số lượt chuyển tuyến", "integer", minimum=0, column="so_luot_chuyen_tuyen"),
        *lineage_fields(row_key=True, key_length=120),
    ),
)
