"""The document system's API (quản lý văn bản và điều hành): agencies, outgoing and incoming documents and
the axis's exchange events, as paginated JSON with an `updated_since` cursor; faults on request."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from simulators.api import Collection, Drift, PagedApiSimulator
from simulators.base import RunningSource, SimulationPlan
from simulators.document.generate import (
    TIMESTAMP_FORMAT,
    DocumentSimConfig,
    agency_records,
    event_records,
    incoming_records,
    outgoing_records,
)
from simulators.faults import Faults, stable_fraction
from simulators.http import BadRequest
from simulators.store import RecordStore

AGENCIES_PATH = "/api/v1/agencies"
OUTGOING_PATH = "/api/v1/outgoing-documents"
INCOMING_PATH = "/api/v1/incoming-documents"
EVENTS_PATH = "/api/v1/exchange-events"
LOCAL_TZ = timezone(timedelta(hours=7))


def parse_since(value: str) -> str:
    """Accept ISO 8601 (naive = local time) or yyyyMMddHHmmss; return the stored form (ISO, +07:00)."""
    if not value:
        return ""
    value = value.strip().replace(" ", "+")  # a '+' sent unescaped in a query string arrives as a space
    try:
        if len(value) == 14 and value.isdigit():
            moment = datetime.strptime(value, "%Y%m%d%H%M%S")
        else:
            moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"updated_since must be ISO 8601 or yyyyMMddHHmmss, got {value!r}") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TZ).replace(tzinfo=None)
    return moment.strftime(TIMESTAMP_FORMAT)


def a_minute_after(value: str) -> str:
    return (datetime.strptime(value, TIMESTAMP_FORMAT) + timedelta(minutes=1)).strftime(TIMESTAMP_FORMAT)


def _malformed(entity: str, key: object, faults: Faults, kinds: tuple[str, ...]) -> str | None:
    """Which way this record is broken, if it is one the fault picks (the same records every time)."""
    if not faults.malformed_rate or stable_fraction(entity, "malformed", str(key)) >= faults.malformed_rate:
        return None
    return kinds[int(stable_fraction(entity, "kind", str(key)) * len(kinds))]


OUTGOING_FAULTS = ("bad_date", "missing_key", "wrong_type", "overlong_text", "bad_agency_code",
                   "bad_number_symbol", "bad_type_code", "bad_urgency", "nfd_text", "invalid_unicode")


def corrupt_outgoing(record: dict, faults: Faults) -> dict:
    kind = _malformed("outgoing", record.get("MaVanBan"), faults, OUTGOING_FAULTS)
    if kind == "bad_date":
        record["NgayBanHanh"] = record["NgayBanHanh"][:5] + "13-45"
    elif kind == "missing_key":
        del record["MaVanBan"]
    elif kind == "wrong_type":
        record["SoTrang"] = "mười hai"
    elif kind == "overlong_text":
        record["TrichYeu"] = record["TrichYeu"] * 200
    elif kind == "bad_agency_code":
        record["MaDinhDanhNoiBanHanh"] = "UBND-TỈNH"
    elif kind == "bad_number_symbol":  # typed by hand into a paper register
        record["SoKyHieu"] = "Số " + record["SoKyHieu"].replace("/", " ").replace("-", " ")
    elif kind == "bad_type_code":
        record["MaLoaiVanBan"] = record["TenLoaiVanBan"]
    elif kind == "bad_urgency":
        record["DoKhan"] = "Khẩn cấp"
    elif kind == "nfd_text":  # decomposed diacritics: valid, must land composed (NFC)
        record["TrichYeu"] = unicodedata.normalize("NFD", record["TrichYeu"])
    elif kind == "invalid_unicode":
        record["TenCoQuanBanHanh"] = record["TenCoQuanBanHanh"][:5] + "\ud800"
    return record


INCOMING_FAULTS = ("bad_date", "missing_key", "wrong_type", "bad_agency_code", "bad_document_id",
                   "bad_boolean", "invalid_unicode")


def corrupt_incoming(record: dict, faults: Faults) -> dict:
    kind = _malformed("incoming", record.get("MaVanBanDen"), faults, INCOMING_FAULTS)
    if kind == "bad_date":
        record["NgayDen"] = "30/02/" + record["NgayDen"][:4]
    elif kind == "missing_key":
        del record["MaVanBanDen"]
    elif kind == "wrong_type":
        record["SoDen"] = f"{record['SoDen']}a"
    elif kind == "bad_agency_code":
        record["MaDinhDanhNoiNhan"] = record["MaDinhDanhNoiNhan"].replace(".", "-")
    elif kind == "bad_document_id":  # the number and symbol alone: which agency, which year?
        record["MaVanBan"] = record["SoKyHieu"]
    elif kind == "bad_boolean":
        record["NhanDienTu"] = "điện tử"
    elif kind == "invalid_unicode":
        record["SoKyHieu"] = record["SoKyHieu"][:3] + "\udc80"
    return record


EVENT_FAULTS = ("bad_date", "missing_key", "bad_status", "wrong_type", "bad_business_type", "nfd_text")


def corrupt_event(record: dict, faults: Faults) -> dict:
    kind = _malformed("event", record.get("MaSuKien"), faults, EVENT_FAULTS)
    if kind == "bad_date":
        record["ThoiGian"] = record["ThoiGian"][:11] + "25:61:00+07:00"
    elif kind == "missing_key":
        del record["MaSuKien"]
    elif kind == "bad_status":
        record["MaTrangThai"] = record["TenTrangThai"]
    elif kind == "wrong_type":
        record["LoaiNghiepVu"] = "mới"
    elif kind == "bad_business_type":
        record["LoaiNghiepVu"] = 7
    elif kind == "nfd_text":
        record["TenTrangThai"] = unicodedata.normalize("NFD", record["TenTrangThai"])
    return record


AGENCY_FAULTS = ("bad_date", "missing_key", "bad_level", "bad_agency_code", "nfd_text", "invalid_unicode")


def corrupt_agency(record: dict, faults: Faults) -> dict:
    kind = _malformed("agency", record.get("MaBanGhi"), faults, AGENCY_FAULTS)
    if kind == "bad_date":
        record["HieuLucTuNgay"] = "01/01/2016"
    elif kind == "missing_key":
        del record["MaBanGhi"]
    elif kind == "bad_level":
        record["CapCoQuan"] = "Tỉnh"
    elif kind == "bad_agency_code":
        record["MaDinhDanh"] = record["MaDinhDanh"].lower()
    elif kind == "nfd_text":
        record["TenCoQuan"] = unicodedata.normalize("NFD", record["TenCoQuan"])
    elif kind == "invalid_unicode":
        record["TenCoQuan"] = record["TenCoQuan"][:4] + "\ud834"
    return record


def _collection(path: str, store: RecordStore, key: str, corrupt: Callable[[dict, Faults], dict], drift: Drift,
                change: Callable[[dict], None]) -> Collection:
    return Collection(path=path, store=store, key=key, cursor="NgayCapNhat", later=a_minute_after,
                      parse_since=parse_since, corrupt=corrupt, drift=drift, change=change)


def _renamed_agency(record: dict) -> None:
    record["TenCoQuan"] = record["TenCoQuan"].replace("Ủy ban nhân dân", "UBND", 1)


def _corrected_pages(record: dict) -> None:
    record["SoTrang"] = (record.get("SoTrang") or 0) + 1


def _handled_online(record: dict) -> None:
    record["XuLyTrenMoiTruongMang"] = True


def _described(record: dict) -> None:
    record["TenTrangThai"] = f"{record['TenTrangThai']} (đồng bộ lại)"


@dataclass
class DocumentStores:
    agencies: RecordStore
    outgoing: RecordStore
    incoming: RecordStore
    events: RecordStore

    def copy_to(self, folder: Path) -> DocumentStores:
        """A private copy, for a test that lets faults change records."""
        return DocumentStores(*(getattr(self, name).copy_to(folder / f"{name}.sqlite")
                                for name in ("agencies", "outgoing", "incoming", "events")))


def build_stores(config: DocumentSimConfig, folder: Path) -> DocumentStores:
    key = config.key()
    return DocumentStores(
        RecordStore.build(folder / f"agencies-{key}.sqlite", lambda: agency_records(config),
                          key="MaBanGhi", cursor="NgayCapNhat"),
        RecordStore.build(folder / f"outgoing-{key}.sqlite", lambda: outgoing_records(config),
                          key="MaVanBan", cursor="NgayCapNhat"),
        RecordStore.build(folder / f"incoming-{key}.sqlite", lambda: incoming_records(config),
                          key="MaVanBanDen", cursor="NgayCapNhat"),
        RecordStore.build(folder / f"events-{key}.sqlite", lambda: event_records(config),
                          key="MaSuKien", cursor="NgayCapNhat"),
    )


class DocumentSimulator(PagedApiSimulator):
    """The document system: four collections on one server, sharing its request and page faults."""

    def __init__(self, stores: DocumentStores, faults: Faults | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        collections = [
            _collection(AGENCIES_PATH, stores.agencies, "MaBanGhi", corrupt_agency,
                        Drift(renamed=("MaDonViHanhChinh", "MaDVHC"), added=("DiaChi", "Tân An"),
                              removed="MaDinhDanhCapTren"), _renamed_agency),
            _collection(OUTGOING_PATH, stores.outgoing, "MaVanBan", corrupt_outgoing,
                        Drift(renamed=("NoiBanHanh", "DiaDanh"), added=("DoMat", "Thường"), removed="SoTrang"),
                        _corrected_pages),
            _collection(INCOMING_PATH, stores.incoming, "MaVanBanDen", corrupt_incoming,
                        Drift(renamed=("SoKyHieu", "SoKyHieuVanBan"), added=("DonViXuLyChinh", "Văn phòng"),
                              removed="NgayHoanThanh"), _handled_online),
            _collection(EVENTS_PATH, stores.events, "MaSuKien", corrupt_event,
                        Drift(renamed=("TenTrangThai", "MoTaTrangThai"), added=("PhienBanEdXML", "2.0"),
                              removed="MaDinhDanhNoiGui"), _described),
        ]
        super().__init__(collections, faults, host, port)
        self.stores = stores


def start(plan: SimulationPlan, folder: Path, *, postgres_url: str | None = None) -> RunningSource:
    config = DocumentSimConfig.from_plan(plan)
    simulator = DocumentSimulator(build_stores(config, folder))
    url = simulator.start()
    return RunningSource("document", url, f"document system API at {url} · {config.documents:,} outgoing documents",
                         simulator.stop, simulator)
