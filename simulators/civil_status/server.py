"""The civil status system's API: births, marriages and deaths as three paged JSON collections with an
`updated_since` cursor, and the faults of the shared simulator (requests, pages, records, schema drift)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from simulators.api import Collection, Drift, PagedApiSimulator
from simulators.base import RunningSource, SimulationPlan
from simulators.civil_status.generate import (
    CORRECTED,
    ENTITY_SHARES,
    LOCAL,
    SHARE_OF_SCALE,
    CivilStatusSimConfig,
    generate,
    stamp,
)
from simulators.faults import Faults, stable_fraction
from simulators.http import BadRequest
from simulators.store import RecordStore

PATHS = {"births": "/api/v1/births", "marriages": "/api/v1/marriages", "deaths": "/api/v1/deaths"}
KEY, CURSOR = "ID", "ngayCapNhat"
SERVICE_TZ = datetime.fromisoformat("2000-01-01T00:00:00" + LOCAL).tzinfo
# Per entity: the person's name, their identity number, and the date of the event registered.
PERSON_FIELDS = {"births": ("nksHoTen", "nksSoDinhDanh", "nksNgaySinh"),
                 "marriages": ("chongHoTen", "chongSoGiayToTuyThan", "voNgaySinh"),
                 "deaths": ("nktHoTen", "nktSoGiayToTuyThan", "nktNgayChet")}
MALFORMATIONS = ("bad_date", "missing_key", "wrong_type", "bad_id_number", "overlong_text", "nfd_text",
                 "invalid_unicode", "bad_agency")
DRIFTS = {
    "births": Drift(renamed=("nksNoiSinh", "nksNoiSinhChiTiet"), added=("soLuongBanSao", 2), removed="nycQuanHe"),
    "marriages": Drift(renamed=("chongNoiCuTru", "chongDiaChiCuTru"), added=("soLuongBanSao", 2),
                       removed="voDanToc"),
    "deaths": Drift(renamed=("nktNguyenNhanChet", "nktNguyenNhan"), added=("soLuongBanSao", 1),
                    removed="nktNoiChet"),
}


def parse_since(value: str) -> str:
    """Accept ISO 8601 (naive = local time) or yyyyMMddHHmmss; return the service's own form."""
    if not value:
        return ""
    try:
        moment = (datetime.strptime(value, "%Y%m%d%H%M%S") if len(value) == 14 and value.isdigit()
                  else datetime.fromisoformat(value))
    except ValueError as exc:
        raise BadRequest(f"updated_since must be ISO 8601 or yyyyMMddHHmmss, got {value!r}") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(SERVICE_TZ).replace(tzinfo=None)
    return stamp(moment)


def a_minute_after(value: str) -> str:
    return stamp(datetime.fromisoformat(value).replace(tzinfo=None) + timedelta(minutes=1))


def corrupter(entity: str) -> Callable[[dict, Faults], dict]:
    """Record faults of one entity, picked by a stable hash of the record's ID."""
    name_field, id_field, event_field = PERSON_FIELDS[entity]

    def corrupt(record: dict, faults: Faults) -> dict:
        key = str(record.get(KEY))
        if (faults.inconsistent_rate
                and stable_fraction("civil", entity, "inconsistent", key) < faults.inconsistent_rate):
            # Well-formed, but registered before the event it records (a gate's matter, not the contract's).
            registered = datetime.fromisoformat(record["ngayDangKy"])
            record[event_field] = (registered + timedelta(days=10)).date().isoformat()
        if faults.malformed_rate and stable_fraction("civil", entity, "malformed", key) < faults.malformed_rate:
            kind = MALFORMATIONS[int(stable_fraction("civil", entity, "kind", key) * len(MALFORMATIONS))]
            if kind == "bad_date":
                record["ngayDangKy"] = "30/02/" + record["ngayDangKy"][:4]
            elif kind == "missing_key":
                del record[KEY]
            elif kind == "wrong_type":
                record["so"] = "mười hai"
            elif kind == "bad_id_number":
                record[id_field] = (record[id_field] or "080190123456")[:-1]
            elif kind == "overlong_text":
                record[name_field] = (record[name_field] + " ") * 60
            elif kind == "nfd_text":  # decomposed diacritics: valid, must land composed (NFC)
                record[name_field] = unicodedata.normalize("NFD", record[name_field])
            elif kind == "invalid_unicode":
                record[name_field] = record[name_field][:4] + "\ud800"
            elif kind == "bad_agency":
                record["noiDangKy"] = "UBND-XA"
        return record

    return corrupt


def correct(record: dict) -> None:
    """What an update during a read changes: a correction noted on the entry (cải chính)."""
    record["ghiChu"] = CORRECTED


def collection(entity: str, store: RecordStore) -> Collection:
    return Collection(path=PATHS[entity], store=store, key=KEY, cursor=CURSOR, later=a_minute_after,
                      parse_since=parse_since, corrupt=corrupter(entity), drift=DRIFTS[entity], change=correct)


@dataclass
class CivilStatusStores:
    births: RecordStore
    marriages: RecordStore
    deaths: RecordStore

    def copy_to(self, folder: Path) -> CivilStatusStores:
        return CivilStatusStores(*(getattr(self, e).copy_to(folder / f"{e}.sqlite") for e in ENTITY_SHARES))


def build_stores(config: CivilStatusSimConfig, folder: Path) -> CivilStatusStores:
    return CivilStatusStores(*(
        RecordStore.build(folder / f"{entity}-{config.key()}.sqlite", lambda e=entity: generate(config, e),
                          key=KEY, cursor=CURSOR)
        for entity in ENTITY_SHARES))


class CivilStatusSimulator(PagedApiSimulator):
    """The civil status system: one collection per kind of registration."""

    def __init__(self, stores: CivilStatusStores, faults: Faults | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        super().__init__([collection(entity, getattr(stores, entity)) for entity in ENTITY_SHARES], faults, host,
                         port)
        self.stores = stores


def config_for(plan: SimulationPlan) -> CivilStatusSimConfig:
    return CivilStatusSimConfig(plan.province, max(3, round(SHARE_OF_SCALE * plan.scale)), plan.start, plan.as_of,
                                plan.seed)


def start(plan: SimulationPlan, folder: Path, *, postgres_url: str | None = None) -> RunningSource:
    config = config_for(plan)
    simulator = CivilStatusSimulator(build_stores(config, folder))
    url = simulator.start()
    return RunningSource("civil_status", url,
                         f"civil status API at {url} · {config.registrations:,} births, marriages and deaths",
                         simulator.stop, simulator)
