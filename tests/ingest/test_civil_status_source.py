"""The civil status source over real HTTP into a real PostgreSQL: exact clean loads, every fault the API commits
(the warehouse after a faulty run plus a clean rerun equals a clean run), and contracts that mark every field
about a person as personal data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.civil_status import ENTITIES, load_all
from ingest.contract import Invalid
from ingest.http import RetryPolicy
from ingest.load import IngestError
from ingest.sources import LoadOptions, source
from kho.warehouse import Warehouse
from simulators.civil_status.generate import CivilStatusSimConfig, generate
from simulators.civil_status.server import CivilStatusSimulator, CivilStatusStores, build_stores
from simulators.faults import Faults
from tests.conftest import query, scratch_database

# 2,000 registrations from 2019 to the end of 2025, across the 1 July 2025 reorganisation.
CONFIG = CivilStatusSimConfig(registrations=2000, start=date(2019, 1, 1), as_of=datetime(2025, 12, 31, 17), seed=13)
COUNTS = {entity: CONFIG.count(entity) for entity in ENTITIES}
OPTIONS = LoadOptions(page_size=200, policy=RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, timeout=0.3))
UNBALANCED = ("select count(*) from ingest.load_log where status = 'succeeded'"
              " and received <> loaded + quarantined + duplicates")


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> CivilStatusStores:
    return build_stores(CONFIG, tmp_path_factory.mktemp("civil_status"))


@pytest.fixture
def simulator(stores: CivilStatusStores, tmp_path: Path) -> Iterator[CivilStatusSimulator]:
    """The civil status API on a private copy of the stores: faults that change records stay in this test."""
    running = CivilStatusSimulator(stores.copy_to(tmp_path))
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def warehouses(pg_server: Warehouse) -> Iterator[tuple[Warehouse, Warehouse]]:
    """Two warehouse databases for the whole module, emptied before each test (cheaper than creating them)."""
    with scratch_database(pg_server) as first, scratch_database(pg_server) as second:
        yield first, second


def emptied(warehouse: Warehouse) -> Warehouse:
    with warehouse.connect(autocommit=True) as conn:
        conn.execute("drop schema if exists raw cascade; drop schema if exists ingest cascade")
    return warehouse


@pytest.fixture
def warehouse(warehouses: tuple[Warehouse, Warehouse]) -> Warehouse:
    return emptied(warehouses[0])


@pytest.fixture
def second_warehouse(warehouses: tuple[Warehouse, Warehouse]) -> Warehouse:
    return emptied(warehouses[1])


def raw_state(warehouse: Warehouse) -> dict[str, list[tuple]]:
    state = {}
    for contract in ENTITIES.values():
        columns = ", ".join([*contract.columns, "_extra"])
        state[contract.entity] = query(warehouse, f"select {columns} from {contract.table} order by id")
    return state


def test_a_clean_load_takes_every_record_and_a_rerun_nothing_new(simulator: CivilStatusSimulator,
                                                                  warehouse: Warehouse) -> None:
    first = {r.entity: r for r in load_all(warehouse.url, simulator.url, OPTIONS)}
    for entity, count in COUNTS.items():
        result = first[entity]
        assert (result.received, result.loaded, result.inserted, result.quarantined, result.duplicates) == (
            count, count, count, 0, 0)
        assert query(warehouse, f"select count(*) from raw.civil_status__{entity}") == [(count,)]
    assert query(warehouse, "select nks_ho_ten, nks_ngay_sinh, nks_so_dinh_danh, ngay_cap_nhat from"
                            " raw.civil_status__births where id = 1") == [
        (r["nksHoTen"], date.fromisoformat(r["nksNgaySinh"]), r["nksSoDinhDanh"],
         datetime.fromisoformat(r["ngayCapNhat"])) for r in [next(generate(CONFIG, "births"))]]
    again = load_all(warehouse.url, simulator.url, OPTIONS)
    assert all(r.inserted == r.updated == 0 and r.received == r.unchanged for r in again)
    assert [r.watermark_after for r in again] == [first[e].watermark_after for e in ENTITIES]
    assert query(warehouse, UNBALANCED) == [(0,)]


FAULTS = {
    "rate limited with Retry-After": Faults(rate_limit_every=3, retry_after=0.01),
    "500 and 503 answers": Faults(error_every=4),
    "slow answers and timeouts": Faults(slow_every=5, slow_seconds=0.5),
    "duplicate pages": Faults(duplicate_page_every=2),
    "overlapping pages": Faults(overlap_records=37),
    "records updated during the read": Faults(update_during_read=25),
    "schema drift": Faults(drift=True),
    "malformed records": Faults(malformed_rate=0.05),
    "a source that goes down mid-run": Faults(fail_after_requests=4),
}


@pytest.mark.parametrize("faults", FAULTS.values(), ids=FAULTS.keys())
def test_a_faulty_run_then_a_clean_rerun_equals_a_clean_run(faults: Faults, simulator: CivilStatusSimulator,
                                                            warehouse: Warehouse,
                                                            second_warehouse: Warehouse) -> None:
    simulator.faults = faults
    try:
        load_all(warehouse.url, simulator.url, OPTIONS)
    except IngestError:
        assert faults.fail_after_requests, "only the source going down may fail the run"
    simulator.faults = Faults()
    rerun = load_all(warehouse.url, simulator.url, OPTIONS)
    clean = load_all(second_warehouse.url, simulator.url, OPTIONS)

    assert raw_state(warehouse) == raw_state(second_warehouse)
    assert {e: len(rows) for e, rows in raw_state(warehouse).items()} == COUNTS
    for result in rerun + clean:
        assert result.received == result.loaded + result.quarantined + result.duplicates
    assert query(warehouse, UNBALANCED) == [(0,)]


def test_malformed_records_are_quarantined_with_a_reason(simulator: CivilStatusSimulator,
                                                         warehouse: Warehouse) -> None:
    simulator.faults = Faults(malformed_rate=0.05)
    results = load_all(warehouse.url, simulator.url, OPTIONS)
    assert all(r.quarantined > 0 and r.received == COUNTS[r.entity] for r in results)
    problems = {p for (p,) in query(warehouse, "select distinct regexp_replace(reason, '^(\\w+): .*', '\\1')"
                                               " from raw._quarantine")}
    assert {"ID", "ngayDangKy", "so", "noiDangKy", "nksHoTen", "nksSoDinhDanh"} <= problems
    # Decomposed names land composed (NFC).
    assert query(warehouse, "select count(*) from raw.civil_status__births"
                            " where nks_ho_ten <> normalize(nks_ho_ten, NFC)") == [(0,)]


def test_inconsistent_dates_load_for_the_gate_to_judge(simulator: CivilStatusSimulator,
                                                       warehouse: Warehouse) -> None:
    # Registered before the event it records: well-formed, so the contract lets it through (docs/decisions.md).
    simulator.faults = Faults(inconsistent_rate=0.05)
    results = load_all(warehouse.url, simulator.url, OPTIONS)
    assert all(r.loaded == COUNTS[r.entity] and r.quarantined == 0 for r in results)
    [(births,)] = query(warehouse, "select count(*) from raw.civil_status__births where nks_ngay_sinh > ngay_dang_ky")
    [(deaths,)] = query(warehouse, "select count(*) from raw.civil_status__deaths where nkt_ngay_chet > ngay_dang_ky")
    assert 0.02 * COUNTS["births"] < births < 0.1 * COUNTS["births"] and deaths > 0


def test_drift_is_reported_and_the_added_and_renamed_fields_kept(simulator: CivilStatusSimulator,
                                                                 warehouse: Warehouse) -> None:
    simulator.faults = Faults(drift=True)
    results = {r.entity: r for r in load_all(warehouse.url, simulator.url, OPTIONS)}
    assert results["births"].drift == {"added": ["nksNoiSinhChiTiet", "soLuongBanSao"],
                                       "missing": ["nksNoiSinh", "nycQuanHe"]}
    assert results["deaths"].drift == {"added": ["nktNguyenNhan", "soLuongBanSao"],
                                       "missing": ["nktNguyenNhanChet", "nktNoiChet"]}
    assert query(warehouse, "select count(*) from raw.civil_status__births where _extra ? 'nksNoiSinhChiTiet'"
                            " and nks_noi_sinh is null") == [(COUNTS["births"],)]


def test_the_source_is_registered_with_its_setting() -> None:
    civil = source("civil_status")
    assert civil.setting == "KHO_CIVIL_STATUS_API_URL" and civil.entities == ENTITIES


# --- personal data ---------------------------------------------------------------------------------------------
REGISTER_FIELDS = {"ID", "so", "quyenSo", "ngayDangKy", "loaiDangKy", "noiDangKy", "ngayCapNhat"}
PERSONAL = {
    "births": {"nksHoTen", "nksGioiTinh", "nksNgaySinh", "nksDanToc", "nksQuocTich", "nksNoiSinh", "nksNoiSinhDVHC",
               "nksSoDinhDanh", "meHoTen", "meNgaySinh", "meDanToc", "meQuocTich", "meNoiCuTru", "meSoGiayToTuyThan",
               "chaHoTen", "chaNgaySinh", "chaDanToc", "chaQuocTich", "chaNoiCuTru", "chaSoGiayToTuyThan",
               "nycHoTen", "nycQuanHe", "ghiChu"},
    "marriages": {f"{p}{f}" for p in ("chong", "vo")
                  for f in ("HoTen", "NgaySinh", "DanToc", "QuocTich", "NoiCuTru", "SoGiayToTuyThan")} | {"ghiChu"},
    "deaths": {"nktHoTen", "nktGioiTinh", "nktNgaySinh", "nktDanToc", "nktQuocTich", "nktNoiCuTru",
               "nktSoGiayToTuyThan", "nktNgayChet", "nktNoiChet", "nktNguyenNhanChet", "nycHoTen", "nycQuanHe",
               "ghiChu"},
}


@pytest.mark.parametrize("entity", ENTITIES)
def test_every_field_about_a_person_is_marked_personal(entity: str) -> None:
    contract = ENTITIES[entity]
    assert {f.name for f in contract.fields if f.personal} == PERSONAL[entity]
    assert {f.name for f in contract.fields if not f.personal} == REGISTER_FIELDS
    # Names, birth dates, identity numbers and addresses in particular (README: Law 91/2025/QH15).
    assert all(contract.field(name).personal for name in contract._by_name
               if name.endswith(("HoTen", "NgaySinh", "SoDinhDanh", "SoGiayToTuyThan", "NoiCuTru")))


# --- the contracts, under any input ----------------------------------------------------------------------------
GOOD = {entity: next(generate(CivilStatusSimConfig(registrations=30, seed=1), entity)) for entity in ENTITIES}
values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.dates().map(str),
                   st.datetimes().map(str), st.lists(st.integers(), max_size=3),
                   st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


@pytest.mark.parametrize("entity", ENTITIES)
def test_the_generated_record_is_valid(entity: str) -> None:
    row, extra = ENTITIES[entity].validate(GOOD[entity])
    assert extra == {} and len(row) == len(ENTITIES[entity].fields)


@given(st.sampled_from(list(ENTITIES)), st.data())
def test_any_record_is_either_valid_or_invalid_with_a_reason(entity: str, data: st.DataObject) -> None:
    contract = ENTITIES[entity]
    overrides = data.draw(st.dictionaries(st.sampled_from([f.name for f in contract.fields] + ["soLuongBanSao"]),
                                          values))
    try:
        row, extra = contract.validate({**GOOD[entity], **overrides})
    except Invalid as exc:
        assert str(exc).split(":")[0] in contract._by_name  # "<field>: <what is wrong>", a field it knows
    else:
        assert len(row) == len(contract.fields) and set(extra) <= {"soLuongBanSao"}


@given(st.sampled_from(list(ENTITIES)), st.one_of(st.none(), st.integers(), st.text(), st.lists(st.text())))
def test_anything_that_is_not_a_record_is_invalid(entity: str, value: object) -> None:
    with pytest.raises(Invalid, match="expected a JSON object"):
        ENTITIES[entity].validate(value)
