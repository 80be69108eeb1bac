"""The dossier record as the portal's sync API sends it (field names as in the national portal's payload)."""

from __future__ import annotations

from ingest.contract import AGENCY_CODE, Contract, Field

# Circular 01/2018/TT-VPCP art. 19: receiving agency id, receipt date yymmdd, 4-digit sequence of that day.
DOSSIER_CODE = rf"{AGENCY_CODE}-\d{{6}}-\d{{4}}"
# National procedure database code, e.g. 1.012790; some systems suffix the agency id (practice).
PROCEDURE_CODE = rf"\d\.\d{{6}}(?:\.{AGENCY_CODE})?"

CHANNELS = frozenset({1, 2, 3})  # 1 direct, 2 online, 3 public postal service
STATUSES = frozenset(range(1, 11))  # 1 new … 9 processed, 10 result returned
APPLICANT_KINDS = frozenset({1, 2, 3})  # citizen, enterprise, organisation

DOSSIERS = Contract(
    source="dossier",
    entity="dossiers",
    key="MaHoSo",
    cursor="NgayCapNhat",
    description="Administrative-procedure dossiers (hồ sơ thủ tục hành chính) received by the one-stop shops.",
    fields=(
        Field("MaHoSo", "text", required=True, pattern=DOSSIER_CODE, max_length=60),
        Field("MaTTHC", "text", required=True, pattern=PROCEDURE_CODE, max_length=60),
        Field("TenTTHC", "text", required=True, max_length=1000),
        Field("TenLinhVuc", "text", max_length=500),
        Field("KenhThucHien", "smallint", required=True, allowed=CHANNELS),
        Field("MaCoQuanTiepNhan", "text", required=True, pattern=AGENCY_CODE, max_length=40),
        Field("TenCoQuanTiepNhan", "text", max_length=500),
        Field("LoaiDoiTuong", "smallint", allowed=APPLICANT_KINDS),
        Field("ChuHoSo", "text", max_length=500, personal=True),
        Field("SoDinhDanh", "text", pattern=r"\d{9}|\d{12}", personal=True),
        Field("NgayNopHoSo", "timestamp"),
        Field("NgayTiepNhan", "timestamp", required=True),
        Field("NgayHenTra", "timestamp"),
        Field("NgayKetThucXuLy", "timestamp"),
        Field("NgayTra", "timestamp"),
        Field("TrangThaiHoSo", "smallint", required=True, allowed=STATUSES),
        Field("TongLePhi", "numeric", minimum=0),
        Field("DuocThanhToanTrucTuyen", "boolean"),
        Field("NgayCapNhat", "timestamp", required=True),
    ),
)

SERVICE_LEVELS = frozenset({"TOAN_TRINH", "MOT_PHAN", "KHONG"})  # full online / partial online / none (Decree 42/2022)

PROCEDURES = Contract(
    source="dossier",
    entity="procedures",
    key="MaTTHC",
    cursor="NgayCapNhat",
    description="The procedure catalogue (thủ tục hành chính) with each procedure's online service level.",
    fields=(
        Field("MaTTHC", "text", required=True, pattern=PROCEDURE_CODE, max_length=60),
        Field("TenTTHC", "text", required=True, max_length=1000),
        Field("TenLinhVuc", "text", max_length=500),
        Field("CapThucHien", "text", allowed=frozenset({"Cấp Tỉnh", "Cấp Huyện", "Cấp Xã"})),
        Field("ThoiHanGiaiQuyet", "integer", minimum=0),
        Field("PhiLePhi", "numeric", minimum=0),
        Field("MucDoDVC", "text", required=True, allowed=SERVICE_LEVELS),
        Field("LichSuMucDo", "json"),
        Field("NgayCapNhat", "timestamp", required=True),
    ),
)

STATUS_STEPS = Contract(
    source="dossier",
    entity="status_steps",
    key="IdBuoc",
    cursor="NgayCapNhat",
    description="Each dossier's processing log: one row per step (received, reviewed, approved, returned).",
    fields=(
        Field("IdBuoc", "text", required=True, pattern=rf"{DOSSIER_CODE}-B\d{{1,2}}", max_length=70),
        Field("MaHoSo", "text", required=True, pattern=DOSSIER_CODE, max_length=60),
        Field("ThuTu", "smallint", required=True, minimum=1),
        Field("TenBuoc", "text", required=True, max_length=500),
        Field("DonViXuLy", "text", max_length=500),
        Field("CanBoXuLy", "text", max_length=200, personal=True),
        Field("TrangThai", "smallint", required=True, allowed=STATUSES),
        Field("ThoiGianBatDau", "timestamp", required=True),
        Field("ThoiGianKetThuc", "timestamp"),
        Field("HanXuLy", "timestamp"),
        Field("NgayCapNhat", "timestamp", required=True),
    ),
)
