"""The land registration dossier as the legacy table holds it (column names as in the source database)."""

from __future__ import annotations

from ingest.contract import AGENCY_CODE, Contract, Field

# Received at a one-stop desk: receiving agency id, receipt date yymmdd, sequence of that day (Circular
# 01/2018/TT-VPCP art. 19), as every dossier of the province.
DOSSIER_CODE = rf"{AGENCY_CODE}-\d{{6}}-\d{{4}}"
COMMUNE_CODE = r"\d{5}"  # Decision 124/2004/QĐ-TTg; Decision 19/2025/QĐ-TTg from 1 July 2025
# Land-use codes (Circular 27/2018/TT-BTNMT, kept by Circular 08/2024/TT-BTNMT): ONT, CLN, LUC, …; a parcel
# with several uses lists them joined by '+' (ONT+CLN).
LAND_USE = r"[A-Z]{2,4}(?:\+[A-Z]{2,4})*"
# 1 received, 2 in progress, 3 supplement requested, 4 awaiting financial obligations, 5 result ready,
# 6 result returned, 7 refused (returned as not eligible).
STATUSES = frozenset(range(1, 8))

REGISTRATIONS = Contract(
    source="land",
    entity="registrations",
    key="ma_ho_so",
    cursor="updated_at",
    description="Land registration dossiers (hồ sơ đăng ký đất đai): first registrations, changes, certificate "
                "renewals, mortgages; one row per dossier as the land registration system holds it.",
    fields=(
        Field("id", "bigint", required=True, minimum=1),
        Field("ma_ho_so", "text", required=True, pattern=DOSSIER_CODE, max_length=60),
        Field("loai_thu_tuc", "text", required=True, max_length=300),
        Field("ma_co_quan_tiep_nhan", "text", pattern=AGENCY_CODE, max_length=40),
        Field("ma_xa", "text", required=True, pattern=COMMUNE_CODE),
        Field("so_to_ban_do", "integer", required=True, minimum=0),
        Field("so_thua", "integer", required=True, minimum=0),
        Field("dien_tich", "numeric", required=True, minimum=0),
        Field("muc_dich_su_dung", "text", required=True, pattern=LAND_USE, max_length=50),
        Field("ten_chu_su_dung", "text", max_length=300, personal=True),
        Field("ngay_tiep_nhan", "date", required=True),
        Field("ngay_hen_tra", "date"),
        Field("ngay_tra_ket_qua", "date"),
        Field("trang_thai", "smallint", required=True, allowed=STATUSES),
        Field("updated_at", "timestamp", required=True),
    ),
)
