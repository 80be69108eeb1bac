"""The dossier contract: good records pass as typed values, bad ones raise Invalid with a reason a person reads."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.contract import VN_TZ, Invalid, parse_timestamp, snake_case
from ingest.dossier.contract import DOSSIERS

GOOD = {
    "MaHoSo": "000.00.03.H37-240115-0007", "MaTTHC": "1.001193", "TenTTHC": "Đăng ký khai sinh",
    "TenLinhVuc": "Hộ tịch", "KenhThucHien": 2, "MaCoQuanTiepNhan": "000.00.03.H37",
    "TenCoQuanTiepNhan": "Sở Tư pháp Long An", "LoaiDoiTuong": 1, "ChuHoSo": "Nguyễn Văn An",
    "SoDinhDanh": "080090123456", "NgayNopHoSo": "20240115080000", "NgayTiepNhan": "20240115083000",
    "NgayHenTra": "20240116170000", "NgayKetThucXuLy": "20240116100000", "NgayTra": None,
    "TrangThaiHoSo": 9, "TongLePhi": 0, "DuocThanhToanTrucTuyen": 0, "NgayCapNhat": "20240116100000",
}


def values_of(record: dict) -> dict:
    values, _ = DOSSIERS.validate(record)
    return dict(zip(DOSSIERS.columns, values, strict=True))


def test_a_good_record_becomes_typed_values() -> None:
    values = values_of(GOOD)
    assert values["ngay_tiep_nhan"] == datetime(2024, 1, 15, 8, 30, tzinfo=VN_TZ)
    assert values["kenh_thuc_hien"] == 2 and values["tong_le_phi"] == Decimal(0)
    assert values["duoc_thanh_toan_truc_tuyen"] is False and values["ngay_tra"] is None


def test_decomposed_vietnamese_text_lands_composed() -> None:
    nfd = unicodedata.normalize("NFD", "Đăng ký khai sinh")
    assert nfd != "Đăng ký khai sinh"
    assert values_of({**GOOD, "TenTTHC": nfd})["ten_tthc"] == "Đăng ký khai sinh"


def test_unknown_fields_are_kept_aside_for_the_raw_payload() -> None:
    _, extra = DOSSIERS.validate({**GOOD, "MaDinhDanhMoi": "X"})
    assert extra == {"MaDinhDanhMoi": "X"}


@pytest.mark.parametrize(("change", "reason"), [
    ({"MaHoSo": None}, "MaHoSo: required field is empty"),
    ({"NgayTiepNhan": "20241345083000"}, "NgayTiepNhan: '20241345083000' is not a timestamp"),
    ({"KenhThucHien": "trực tuyến"}, "KenhThucHien: expected an integer"),
    ({"KenhThucHien": 7}, "KenhThucHien: 7 is not one of [1, 2, 3]"),
    ({"TenTTHC": "x" * 1001}, "TenTTHC: 1001 characters, longer than the 1000 allowed"),
    ({"MaCoQuanTiepNhan": "SỞ-TƯ-PHÁP"}, "MaCoQuanTiepNhan: 'SỞ-TƯ-PHÁP' does not match the expected format"),
    ({"TenTTHC": "Đăng ký \ud800"}, "TenTTHC: invalid Unicode"),
    ({"TongLePhi": -5}, "TongLePhi: -5 is below the minimum 0"),
    ({"DuocThanhToanTrucTuyen": "có"}, "DuocThanhToanTrucTuyen: expected 0/1 or true/false"),
])
def test_a_broken_record_says_what_is_wrong(change: dict, reason: str) -> None:
    with pytest.raises(Invalid, match="^" + re.escape(reason)):
        DOSSIERS.validate({**GOOD, **change})


def test_a_missing_key_field_is_named() -> None:
    record = dict(GOOD)
    del record["MaHoSo"]
    with pytest.raises(Invalid, match="MaHoSo: required field is missing"):
        DOSSIERS.validate(record)
    assert DOSSIERS.drift(record) == {"added": [], "missing": ["MaHoSo"]}


def test_timestamps_accept_the_portal_form_and_iso() -> None:
    assert parse_timestamp("20250701000000") == parse_timestamp("2025-07-01T00:00:00+07:00")


def test_source_fields_land_in_snake_case_columns() -> None:
    assert [snake_case(n) for n in ("MaHoSo", "MaTTHC", "DuocThanhToanTrucTuyen")] == [
        "ma_ho_so", "ma_tthc", "duoc_thanh_toan_truc_tuyen"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=5,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([f.name for f in DOSSIERS.fields]), json_values))
def test_any_record_is_either_valid_or_invalid_with_a_reason(overrides: dict) -> None:
    try:
        values, _ = DOSSIERS.validate({**GOOD, **overrides})
    except Invalid as exc:
        assert str(exc) and ":" in str(exc)
    else:
        assert len(values) == len(DOSSIERS.fields)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_anything_that_is_not_a_record_is_invalid(value: object) -> None:
    if isinstance(value, dict):
        return
    with pytest.raises(Invalid, match="expected a JSON object"):
        DOSSIERS.validate(value)


def test_a_reason_never_repeats_personal_data() -> None:
    with pytest.raises(Invalid) as raised:
        DOSSIERS.validate({**GOOD, "SoDinhDanh": "08009012345X"})
    assert "08009012345X" not in str(raised.value)
    assert "SoDinhDanh:" in str(raised.value) and "personal data: value not shown" in str(raised.value)
