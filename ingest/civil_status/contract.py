"""Civil status registrations as the civil status system's API sends them (the Ministry of Justice's field
names: nks… the person whose birth is registered, nkt… the deceased, chong…/vo… husband and wife, nyc… the
person who asked for the registration). Every field about a person is marked personal (Law 91/2025/QH15)."""

from __future__ import annotations

from ingest.contract import AGENCY_CODE, Contract, Field

BOOK = r"\d{1,3}/\d{4}"  # quyển số: book number / year
COMMUNE_CODE = r"\d{5}"
PERSONAL_ID = r"\d{12}"  # số định danh cá nhân (the citizen identity number)
ID_DOCUMENT = r"\d{9}|\d{12}"  # identity card (9 digits, old) or citizen identity card (12)
ID_OR_PASSPORT = rf"{ID_DOCUMENT}|[A-Z]{{1,2}}\d{{6,8}}"  # a foreign spouse shows a passport
SEXES = frozenset({1, 2, 3})  # 1 nam, 2 nữ, 3 chưa xác định
# 1 on time (đúng hạn), 2 late (quá hạn), 3 re-registration (đăng ký lại).
LATE_OR_AGAIN = frozenset({1, 2, 3})
MARRIAGE_KINDS = frozenset({1, 2})  # 1 registration, 2 re-registration


def _registration(kinds: frozenset) -> tuple[Field, ...]:
    """The register entry itself: who registered it, where in which book. Not about a person by itself."""
    return (
        Field("ID", "bigint", required=True, minimum=1),
        Field("so", "integer", required=True, minimum=1),
        Field("quyenSo", "text", required=True, pattern=BOOK, max_length=20),
        Field("ngayDangKy", "date", required=True),
        Field("loaiDangKy", "smallint", required=True, allowed=kinds),
        Field("noiDangKy", "text", required=True, pattern=AGENCY_CODE, max_length=40),
    )


def _person(prefix: str, *, required: bool, document: str, sex: bool = False) -> tuple[Field, ...]:
    fields = [
        Field(f"{prefix}HoTen", "text", required=required, max_length=100, personal=True),
        Field(f"{prefix}NgaySinh", "date", required=required, personal=True),
        # Ethnicity is sensitive personal data.
        Field(f"{prefix}DanToc", "text", max_length=50, personal=True),
        Field(f"{prefix}QuocTich", "text", max_length=100, personal=True),
    ]
    if sex:
        fields.insert(1, Field(f"{prefix}GioiTinh", "smallint", allowed=SEXES, personal=True))
    if prefix != "nks":
        fields += [Field(f"{prefix}NoiCuTru", "text", max_length=300, personal=True),
                   Field(f"{prefix}SoGiayToTuyThan", "text", pattern=document, max_length=12, personal=True)]
    return tuple(fields)


_REQUESTER = (Field("nycHoTen", "text", max_length=100, personal=True),
              Field("nycQuanHe", "text", max_length=50, personal=True))  # relationship: family data
_TAIL = (Field("ghiChu", "text", max_length=2000, personal=True),  # free text about the entry: treat as personal
         Field("ngayCapNhat", "timestamp", required=True))

BIRTHS = Contract(
    source="civil_status",
    entity="births",
    key="ID",
    cursor="ngayCapNhat",
    description="Birth registrations (đăng ký khai sinh): one row per register entry.",
    fields=(
        *_registration(LATE_OR_AGAIN),
        *_person("nks", required=True, document=PERSONAL_ID, sex=True),
        Field("nksNoiSinh", "text", max_length=300, personal=True),
        Field("nksNoiSinhDVHC", "text", pattern=COMMUNE_CODE, personal=True),
        Field("nksSoDinhDanh", "text", pattern=PERSONAL_ID, personal=True),
        *_person("me", required=False, document=ID_DOCUMENT),
        *_person("cha", required=False, document=ID_DOCUMENT),
        *_REQUESTER,
        *_TAIL,
    ),
)

MARRIAGES = Contract(
    source="civil_status",
    entity="marriages",
    key="ID",
    cursor="ngayCapNhat",
    description="Marriage registrations (đăng ký kết hôn): one row per register entry.",
    fields=(
        *_registration(MARRIAGE_KINDS),
        *_person("chong", required=True, document=ID_OR_PASSPORT),
        *_person("vo", required=True, document=ID_OR_PASSPORT),
        *_TAIL,
    ),
)

DEATHS = Contract(
    source="civil_status",
    entity="deaths",
    key="ID",
    cursor="ngayCapNhat",
    description="Death registrations (đăng ký khai tử): one row per register entry.",
    fields=(
        *_registration(LATE_OR_AGAIN),
        *_person("nkt", required=True, document=ID_DOCUMENT, sex=True),
        Field("nktNgayChet", "date", required=True, personal=True),
        Field("nktNoiChet", "text", max_length=300, personal=True),
        # Cause of death is health data: sensitive personal data.
        Field("nktNguyenNhanChet", "text", max_length=300, personal=True),
        *_REQUESTER,
        *_TAIL,
    ),
)
