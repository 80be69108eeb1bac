"""The document system's records as its API sends them: agencies, outgoing and incoming documents, and the
national document axis's exchange events (field names as the system sends them; see README.md)."""

from __future__ import annotations

from ingest.contract import AGENCY_CODE, Contract, Field

# Số/Ký hiệu (Decree 30/2020/NĐ-CP App. I): the number (01, 02, … restarting each 1 January), then the type's
# abbreviation and the issuer's short name (125/QĐ-UBND), or for a công văn the issuer and the drafting unit
# (125/UBND-VP); a commune may write 125/UBND alone.
SYMBOL = r"[A-ZĐ][A-Za-zĐđ]*(?:-[A-ZĐ][A-Za-zĐđ0-9]*){0,3}"
NUMBER_SYMBOL = rf"\d{{1,6}}/{SYMBOL}"
# edXML DocumentId (QCVN 102:2016): OrganId,yyyy/mm/dd,Số/Ký hiệu — the issuer, the date of issue, the number.
DOCUMENT_ID = rf"{AGENCY_CODE},\d{{4}}/\d{{2}}/\d{{2}},{NUMBER_SYMBOL}"
# An entry of a receiver's incoming register: receiver, date of registration, arrival number (số đến).
INCOMING_ID = rf"{AGENCY_CODE},\d{{4}}/\d{{2}}/\d{{2}},\d{{1,7}}"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

LEVELS = frozenset({"Cấp Tỉnh", "Cấp Huyện", "Cấp Xã"})
# The 29 administrative types of Decree 30/2020 art. 7, by the abbreviation their symbols carry (App. III);
# công văn and thư công carry none: CV and TCG are the codes document systems use for them (practice).
DOCUMENT_TYPES = frozenset({"NQ", "QĐ", "CT", "QC", "QyĐ", "TC", "TB", "HD", "CTr", "KH", "PA", "ĐA", "DA", "BC",
                            "BB", "TTr", "HĐ", "CV", "CĐ", "BGN", "BTT", "GUQ", "GM", "GGT", "GNP", "PG", "PC",
                            "PB", "TCG"})
# Độ khẩn; "Hoả tốc" is the same word in the older accent placement, which some systems still send.
URGENCIES = frozenset({"Thường", "Khẩn", "Thượng khẩn", "Hỏa tốc", "Hoả tốc"})
COMPETENCES = frozenset({"TM.", "KT.", "TL.", "TUQ.", "Q."})  # thay mặt, ký thay, thừa lệnh, thừa ủy quyền, quyền
# Axis status codes (practice): 01 arrived, 02 refused, 03 registered, 04 assigned, 05 in progress, 06 done,
# 13 recall requested, 15 recall accepted, 16 recall refused.
STATUS_CODES = frozenset({"01", "02", "03", "04", "05", "06", "13", "15", "16"})
BUSINESS_TYPES = frozenset({0, 1, 2, 3})  # edXML BusinessDocType: new, revoke, update, replace

AGENCIES = Contract(
    source="document",
    entity="agencies",
    key="MaBanGhi",
    cursor="NgayCapNhat",
    description="The agency directory: one row per agency and period of validity (identifiers are reused).",
    fields=(
        Field("MaBanGhi", "text", required=True, pattern=rf"{AGENCY_CODE}-\d{{8}}", max_length=60),
        Field("MaDinhDanh", "text", required=True, pattern=AGENCY_CODE, max_length=40),
        Field("TenCoQuan", "text", required=True, max_length=500),
        Field("CapCoQuan", "text", required=True, allowed=LEVELS),
        Field("MaDinhDanhCapTren", "text", pattern=AGENCY_CODE, max_length=40),
        Field("MaDonViHanhChinh", "text", pattern=r"\d{2}|\d{3}|\d{5}"),
        Field("HieuLucTuNgay", "date", required=True),
        Field("HieuLucDenNgay", "date"),
        Field("NgayCapNhat", "timestamp", required=True),
    ),
)

OUTGOING_DOCUMENTS = Contract(
    source="document",
    entity="outgoing_documents",
    key="MaVanBan",
    cursor="NgayCapNhat",
    description="Outgoing documents (văn bản đi): one row per document issued, keyed by its edXML DocumentId.",
    fields=(
        Field("MaVanBan", "text", required=True, pattern=DOCUMENT_ID, max_length=120),
        Field("MaDinhDanhNoiBanHanh", "text", required=True, pattern=AGENCY_CODE, max_length=40),
        Field("TenCoQuanBanHanh", "text", max_length=500),
        Field("CapBanHanh", "text", required=True, allowed=LEVELS),
        Field("SoVanBan", "integer", required=True, minimum=1),
        Field("KyHieu", "text", required=True, pattern=SYMBOL, max_length=50),
        Field("SoKyHieu", "text", required=True, pattern=NUMBER_SYMBOL, max_length=60),
        Field("MaLoaiVanBan", "text", required=True, allowed=DOCUMENT_TYPES),
        Field("TenLoaiVanBan", "text", max_length=100),
        Field("TrichYeu", "text", required=True, max_length=2000),
        Field("NgayBanHanh", "date", required=True),
        Field("NoiBanHanh", "text", max_length=200),
        Field("NguoiKy", "text", max_length=200, personal=True),
        Field("ChucVuNguoiKy", "text", max_length=200),
        Field("ThamQuyenKy", "text", allowed=COMPETENCES),
        Field("NoiNhan", "json"),
        Field("DoKhan", "text", required=True, allowed=URGENCIES),
        Field("KySo", "boolean", required=True),
        Field("GuiDienTu", "boolean", required=True),
        Field("SoTrang", "smallint", minimum=1),
        Field("NgayCapNhat", "timestamp", required=True),
    ),
)

INCOMING_DOCUMENTS = Contract(
    source="document",
    entity="incoming_documents",
    key="MaVanBanDen",
    cursor="NgayCapNhat",
    description="Incoming documents (văn bản đến): one row per document registered by a receiving agency.",
    fields=(
        Field("MaVanBanDen", "text", required=True, pattern=INCOMING_ID, max_length=80),
        Field("MaDinhDanhNoiNhan", "text", required=True, pattern=AGENCY_CODE, max_length=40),
        Field("SoDen", "integer", required=True, minimum=1),
        Field("NgayDen", "timestamp", required=True),
        Field("MaVanBan", "text", required=True, pattern=DOCUMENT_ID, max_length=120),
        Field("MaDinhDanhNoiGui", "text", pattern=AGENCY_CODE, max_length=40),
        Field("SoKyHieu", "text", pattern=NUMBER_SYMBOL, max_length=60),
        Field("NhanDienTu", "boolean", required=True),
        Field("XuLyTrenMoiTruongMang", "boolean", required=True),
        Field("NgayHoanThanh", "timestamp"),
        Field("NgayCapNhat", "timestamp", required=True),
    ),
)

EXCHANGE_EVENTS = Contract(
    source="document",
    entity="exchange_events",
    key="MaSuKien",
    cursor="NgayCapNhat",
    description="Status messages on the national document axis: one row per status a receiver reported.",
    fields=(
        Field("MaSuKien", "text", required=True, pattern=UUID, max_length=36),
        Field("MaVanBan", "text", required=True, pattern=DOCUMENT_ID, max_length=120),
        Field("MaDinhDanhNoiGui", "text", pattern=AGENCY_CODE, max_length=40),
        Field("MaDinhDanhNoiNhan", "text", required=True, pattern=AGENCY_CODE, max_length=40),
        Field("MaTrangThai", "text", required=True, allowed=STATUS_CODES),
        Field("TenTrangThai", "text", max_length=200),
        Field("LoaiNghiepVu", "smallint", required=True, allowed=BUSINESS_TYPES),
        Field("ThoiGian", "timestamp", required=True),
        Field("NgayCapNhat", "timestamp", required=True),
    ),
)
