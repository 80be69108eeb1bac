"""The dossier system's sync API: paginated JSON with an `updated_since` cursor, faults on request."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from simulators.api import Collection, Drift, PagedApiSimulator
from simulators.base import RunningSource, SimulationPlan
from simulators.dossier.generate import TIMESTAMP_FORMAT, DossierSimConfig, generate, procedure_records, status_steps
from simulators.faults import Faults, stable_fraction
from simulators.http import BadRequest
from simulators.store import RecordStore

DOSSIERS_PATH = "/api/v1/dossiers"
PROCEDURES_PATH = "/api/v1/procedures"
STATUS_HISTORY_PATH = "/api/v1/dossier-status-history"
PORTAL_TZ = timezone(timedelta(hours=7))  # the portal speaks local time without an offset
MALFORMATIONS = ("bad_date", "missing_key", "wrong_type", "overlong_text", "bad_code", "nfd_text",
                 "invalid_unicode")


def parse_since(value: str) -> str:
    """Accept the portal's yyyyMMddHHmmss or ISO 8601 (naive = local time); return the portal form."""
    if not value:
        return ""
    if len(value) == 14 and value.isdigit():
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"updated_since must be yyyyMMddHHmmss or ISO 8601, got {value!r}") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(PORTAL_TZ).replace(tzinfo=None)
    return moment.strftime(TIMESTAMP_FORMAT)


def a_minute_after(stamp: str) -> str:
    return (datetime.strptime(stamp, TIMESTAMP_FORMAT) + timedelta(minutes=1)).strftime(TIMESTAMP_FORMAT)


def corrupt_dossier(record: dict, faults: Faults) -> dict:
    code = str(record.get("MaHoSo"))
    if faults.inconsistent_rate and stable_fraction("dossier", "inconsistent", code) < faults.inconsistent_rate:
        received = datetime.strptime(record["NgayTiepNhan"], TIMESTAMP_FORMAT)
        record["NgayKetThucXuLy"] = (received - timedelta(days=3)).strftime(TIMESTAMP_FORMAT)
    if faults.malformed_rate and stable_fraction("dossier", "malformed", code) < faults.malformed_rate:
        kind = MALFORMATIONS[int(stable_fraction("dossier", "kind", code) * len(MALFORMATIONS))]
        if kind == "bad_date":
            record["NgayTiepNhan"] = record["NgayTiepNhan"][:4] + "1345" + record["NgayTiepNhan"][8:]
        elif kind == "missing_key":
            del record["MaHoSo"]
        elif kind == "wrong_type":
            record["KenhThucHien"] = "trực tuyến"
        elif kind == "overlong_text":
            record["TenTTHC"] = record["TenTTHC"] * 200
        elif kind == "bad_code":
            record["MaCoQuanTiepNhan"] = "SỞ-TƯ-PHÁP"
        elif kind == "nfd_text":  # decomposed diacritics: valid, must land composed (NFC)
            record["TenTTHC"] = unicodedata.normalize("NFD", record["TenTTHC"])
        elif kind == "invalid_unicode":
            record["TenCoQuanTiepNhan"] = record["TenCoQuanTiepNhan"][:5] + "\ud800"
    return record


def touch_dossier(record: dict) -> None:
    record["TrangThaiHoSo"] = 10 if record["TrangThaiHoSo"] == 9 else record["TrangThaiHoSo"]


def dossier_collection(store: RecordStore) -> Collection:
    return Collection(
        path=DOSSIERS_PATH, store=store, key="MaHoSo", cursor="NgayCapNhat", later=a_minute_after,
        parse_since=parse_since, corrupt=corrupt_dossier,
        drift=Drift(renamed=("TenCoQuanTiepNhan", "TenDonViTiepNhan"), added=("MaDinhDanhDVC", "G22.H37"),
                    removed="TenLinhVuc"),
        change=touch_dossier,
    )


def corrupt_procedure(record: dict, faults: Faults) -> dict:
    code = str(record.get("MaTTHC"))
    if faults.malformed_rate and stable_fraction("procedure", "malformed", code) < faults.malformed_rate:
        record["ThoiHanGiaiQuyet"] = "mười lăm ngày"
    return record


def corrupt_step(record: dict, faults: Faults) -> dict:
    key = str(record.get("IdBuoc"))
    if faults.malformed_rate and stable_fraction("step", "malformed", key) < faults.malformed_rate:
        record["ThoiGianBatDau"] = "31/02/2024 08:00"
    return record


def procedure_collection(store: RecordStore) -> Collection:
    return Collection(path=PROCEDURES_PATH, store=store, key="MaTTHC", cursor="NgayCapNhat", later=a_minute_after,
                      parse_since=parse_since, corrupt=corrupt_procedure,
                      drift=Drift(renamed=("PhiLePhi", "LePhi"), added=("CoQuanCongBo", "UBND tỉnh"),
                                  removed="CapThucHien"))


def status_history_collection(dossiers: RecordStore) -> Collection:
    return Collection(path=STATUS_HISTORY_PATH, store=dossiers, key="MaHoSo", cursor="NgayCapNhat",
                      later=a_minute_after, parse_since=parse_since, corrupt=corrupt_step,
                      drift=Drift(renamed=("DonViXuLy", "TenDonViXuLy"), added=("GhiChu", ""), removed="HanXuLy"),
                      change=touch_dossier, expand=status_steps)


@dataclass
class DossierStores:
    dossiers: RecordStore
    procedures: RecordStore


def build_stores(config: DossierSimConfig, folder: Path) -> DossierStores:
    return DossierStores(
        RecordStore.build(folder / f"dossiers-{config.key()}.sqlite", lambda: generate(config),
                          key="MaHoSo", cursor="NgayCapNhat"),
        RecordStore.build(folder / f"procedures-{config.key()}.sqlite", lambda: procedure_records(config),
                          key="MaTTHC", cursor="NgayCapNhat"),
    )


def build_store(config: DossierSimConfig, folder: Path) -> RecordStore:
    """The dossiers alone (tests that need nothing else)."""
    return build_stores(config, folder).dossiers


class DossierSimulator(PagedApiSimulator):
    """The dossier system: dossiers, and (when given its stores) the procedure catalogue and status history."""

    def __init__(self, store: RecordStore | DossierStores, faults: Faults | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        stores = store if isinstance(store, DossierStores) else None
        dossiers = stores.dossiers if stores else store
        collections = [dossier_collection(dossiers)]
        if stores:
            collections += [procedure_collection(stores.procedures), status_history_collection(dossiers)]
        super().__init__(collections, faults, host, port)
        self.store = dossiers


def start(plan: SimulationPlan, folder: Path, *, postgres_url: str | None = None) -> RunningSource:
    config = DossierSimConfig(plan.province, plan.scale, plan.start, plan.as_of, plan.seed)
    simulator = DossierSimulator(build_stores(config, folder))
    url = simulator.start()
    return RunningSource("dossier", url, f"dossier system API at {url} · {plan.scale:,} dossiers",
                         simulator.stop, simulator)
