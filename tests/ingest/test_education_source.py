"""The education workbook drop, into a real PostgreSQL from real .xlsx files: the report layout with a title
block and merged header rows loads; every fault, then a clean re-delivery, ends exactly as a clean load."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.contract import Contract, Invalid
from ingest.education import DROPS, ENTITIES, SOURCE, load_all
from ingest.education.contract import ENROLMENT, SCHOOLS
from ingest.files import FileReading, inspect, xlsx_records
from ingest.sources import LoadOptions
from kho.warehouse import Warehouse
from simulators.education.drop import EducationDrop, EducationFaults, EducationSimConfig
from tests.conftest import query, scratch_database

# Vĩnh Long, the school years 2024-2025 and 2025-2026 (either side of the reorganisation): ~720 rows per sheet.
CONFIG = EducationSimConfig(province="vinh-long", start=date(2024, 1, 1), as_of=datetime(2025, 12, 1), seed=3)
OPTIONS = LoadOptions(page_size=300)
BALANCED = ("select count(*) from ingest.load_log where status = 'succeeded' "
            "and received <> loaded + quarantined + duplicates")


def raw_state(warehouse: Warehouse, *, with_hashes: bool = True) -> dict[str, list[tuple]]:
    state = {}
    for name, contract in ENTITIES.items():
        columns = ", ".join([*(c for c in contract.columns if with_hashes or c != "_file_sha256"), "_extra"])
        state[name] = query(warehouse, f"select {columns} from {contract.table} order by _row_key")
    return state


def sheet_rows(folder: Path, sheet: str) -> int:
    """Data rows of a sheet across the clean workbooks, counted with openpyxl alone (header in row 1)."""
    total = 0
    for path in folder.glob("*.xlsx"):
        workbook = openpyxl.load_workbook(path, read_only=True)
        total += sum(1 for _ in workbook[sheet].iter_rows(min_row=2, values_only=True))
        workbook.close()
    return total


@pytest.fixture(scope="module")
def clean_state(pg_server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    folder = tmp_path_factory.mktemp("education-clean") / "drop"
    EducationDrop(CONFIG, folder).deliver()
    with scratch_database(pg_server) as database:
        load_all(database.url, str(folder), OPTIONS)
        return raw_state(database)


@pytest.fixture
def drop(tmp_path: Path) -> Iterator[EducationDrop]:
    yield EducationDrop(CONFIG, tmp_path / "drop")


def test_a_clean_load_takes_every_row_once(drop: EducationDrop, warehouse: Warehouse, clean_state: dict) -> None:
    drop.deliver()
    schools, enrolment = load_all(warehouse.url, str(drop.folder), OPTIONS)
    expected_schools = sheet_rows(drop.folder, "Trường học")
    expected_enrolment = sheet_rows(drop.folder, "Học sinh")
    assert (schools.received, schools.loaded, schools.quarantined) == (expected_schools, expected_schools, 0)
    assert (enrolment.received, enrolment.loaded, enrolment.quarantined) == (expected_enrolment,
                                                                             expected_enrolment, 0)
    assert raw_state(warehouse) == clean_state
    # One row per school and year: the 2025-2026 rows stand in the merged communes.
    years = query(warehouse, "select nam_hoc, count(*), count(distinct ma_xa) from raw.education__schools "
                             "group by 1 order by 1")
    assert [y for y, _, _ in years] == ["2024-2025", "2025-2026"]
    assert years[0][2] > years[1][2]  # fewer communes after the merger
    assert query(warehouse, "select count(*) from ingest.files where status = 'loaded'") == [(4,)]  # 2 × 2

    again = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert [(r.received, r.inserted, r.updated) for r in again] == [(0, 0, 0), (0, 0, 0)]
    assert query(warehouse, BALANCED) == [(0,)]


FAULTS = {
    "merged header rows": EducationFaults(merged_header=True),
    "title block above the header": EducationFaults(title_block=True),
    "report layout (both)": EducationFaults(merged_header=True, title_block=True),
    "malformed cells": EducationFaults(malformed_rate=0.05),
    "schema drift": EducationFaults(drift=True),
    "NFD text": EducationFaults(nfd=True),
}


@pytest.mark.parametrize("faults", FAULTS.values(), ids=FAULTS.keys())
def test_a_faulty_delivery_then_a_clean_one_equals_a_clean_load(faults: EducationFaults, drop: EducationDrop,
                                                                warehouse: Warehouse, clean_state: dict) -> None:
    drop.deliver(faults)
    load_all(warehouse.url, str(drop.folder), OPTIONS)
    drop.deliver()
    load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert raw_state(warehouse) == clean_state
    assert query(warehouse, BALANCED) == [(0,)]
    assert [r.received for r in load_all(warehouse.url, str(drop.folder), OPTIONS)] == [0, 0]


def test_the_report_layout_loads_as_it_is(drop: EducationDrop, warehouse: Warehouse, clean_state: dict) -> None:
    drop.deliver(EducationFaults(merged_header=True, title_block=True, nfd=True))
    results = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert all(r.quarantined == 0 and not r.drift for r in results)
    # The same rows as the plain layout; only the file each row came from differs.
    plain = {name: [(*r[:-2], r[-1]) for r in rows] for name, rows in clean_state.items()}
    assert raw_state(warehouse, with_hashes=False) == plain


def test_drift_is_reported(drop: EducationDrop, warehouse: Warehouse) -> None:
    drop.deliver()
    load_all(warehouse.url, str(drop.folder), OPTIONS)
    drop.deliver(EducationFaults(drift=True))
    schools, enrolment = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert schools.drift == {"added": ["Loại hình trường", "Số điện thoại"], "missing": ["Loại hình", "Địa chỉ"]}
    # The workbook changed, so the enrolment sheet was read again too (each entity keeps its own ledger);
    # its rows are the same, and it has no drift.
    assert enrolment.drift == {} and enrolment.received > 0 and enrolment.updated == enrolment.received


def test_malformed_cells_are_quarantined_with_reasons(drop: EducationDrop, warehouse: Warehouse) -> None:
    drop.deliver(EducationFaults(malformed_rate=0.08))
    results = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert all(r.quarantined > 5 for r in results)
    reasons = " ".join(r for (r,) in query(warehouse, "select reason from raw._quarantine"))
    for expected in ("expected an integer", "below the minimum", "is not one of", "required field is empty",
                     "longer than", "does not match"):
        assert expected in reasons, expected


def test_an_unreadable_workbook_is_quarantined_as_one_record(drop: EducationDrop, warehouse: Warehouse) -> None:
    drop.deliver()
    (drop.folder / "csdl_truong_hoc_2023-2024.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    schools, _ = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert schools.quarantined == 1
    reasons = query(warehouse, "select reason from raw._quarantine where entity = 'schools'")
    assert len(reasons) == 1 and "not a readable Excel workbook" in reasons[0][0]


def test_the_source_is_registered() -> None:
    from ingest.sources import source

    assert source("education") is SOURCE and SOURCE.setting == "KHO_EDUCATION_DROP_DIR"
    assert {d.contract for d in DROPS.values()} == {SCHOOLS, ENROLMENT}


# ------------------------------------------------------------------------------------------ properties

_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=400),
                    st.datetimes().map(lambda d: d.isoformat()), st.lists(st.integers(), max_size=3))


@pytest.mark.parametrize("contract", [SCHOOLS, ENROLMENT], ids=["schools", "enrolment"])
@given(record=st.dictionaries(st.sampled_from(["Mã trường", "Năm học", "Số lớp", "Số học sinh", "Số học sinh nữ",
                                                "Số giáo viên", "Tên trường", "Cấp học", "Loại hình", "Mã xã",
                                                "_row_key", "_file_date", "_file_sha256", "Cột H"]), _VALUES))
@settings(max_examples=300, deadline=None)
def test_the_contracts_refuse_malformed_records_with_a_reason(contract: Contract, record: dict) -> None:
    try:
        contract.validate(record)
    except Invalid as exc:
        assert str(exc)


_CELLS = st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                   st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30))


@given(st.lists(st.lists(_CELLS, max_size=8), max_size=12))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_sheet_reads_without_crashing(tmp_path: Path, rows: list[list]) -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Học sinh")
    for row in rows:
        sheet.append(row)
    path = tmp_path / "csdl_truong_hoc_2024-2025.xlsx"
    workbook.save(path)
    drop = inspect(path)
    reading = FileReading(drop)
    for record in xlsx_records(drop, reading, "Học sinh", [f.name for f in ENROLMENT.fields]):
        assert isinstance(record, dict)
    assert all(p.reason for p in reading.problems)
