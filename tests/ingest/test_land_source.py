"""The land registration source, read from a real PostgreSQL source database into a real warehouse: every fault
the source commits, and each time the warehouse after a faulty run plus a clean rerun equals a clean run."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.contract import VN_TZ, Invalid
from ingest.http import RetryPolicy
from ingest.land import REGISTRATIONS, load_all
from ingest.land.client import as_record, iso_date
from ingest.load import IngestError, LoadResult
from ingest.sources import LoadOptions, source
from kho.warehouse import Warehouse
from simulators.base import SimulationPlan
from simulators.land.database import LandRegistry, running
from tests.conftest import query, scratch_database

# 2,000 dossiers from 2019 to the end of 2025: both sides of the 1 July 2025 reorganisation.
PLAN = SimulationPlan(scale=20_000, start=date(2019, 1, 1), as_of=datetime(2025, 12, 31, 17, 0), seed=11)
ROWS = 2_000
POLICY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, timeout=2)
OPTIONS = LoadOptions(page_size=100, policy=POLICY)
WATERMARKS = "select cursor_value from ingest.watermarks where source = 'land'"
UNBALANCED = ("select count(*) from ingest.load_log where status = 'succeeded'"
              " and received <> loaded + quarantined + duplicates")


@pytest.fixture(scope="module")
def pristine_registry(pg_server: Warehouse) -> Iterator[LandRegistry]:
    with running(PLAN, pg_server.url, f"land_template_{uuid.uuid4().hex[:10]}") as built:
        yield built


@pytest.fixture
def registry(pristine_registry: LandRegistry) -> Iterator[LandRegistry]:
    """The land registration system's own database on the test server: a fresh copy per test, dropped after."""
    copy = pristine_registry.clone(f"land_test_{uuid.uuid4().hex[:10]}")
    yield copy
    copy.drop()


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


def raw_state(warehouse: Warehouse) -> list[tuple]:
    columns = ", ".join([*REGISTRATIONS.columns, "_extra"])
    return query(warehouse, f"select {columns} from {REGISTRATIONS.table} order by ma_ho_so")


def slowly(seconds: float = 0.01) -> LoadOptions:
    """A consumer that takes its time over each page, so the simulator sees the reader mid-read."""
    return LoadOptions(page_size=OPTIONS.page_size, policy=POLICY, progress=lambda entity, n: time.sleep(seconds))


def test_a_clean_load_takes_every_row_typed_and_a_rerun_nothing_new(registry: LandRegistry,
                                                                    warehouse: Warehouse) -> None:
    [first] = load_all(warehouse.url, registry.url, OPTIONS)
    assert (first.received, first.loaded, first.inserted, first.quarantined, first.duplicates) == (ROWS, ROWS, ROWS,
                                                                                                   0, 0)
    assert query(warehouse, "select count(*) from raw.land__registrations") == [(ROWS,)]
    assert first.drift == {}
    with registry.connect() as conn:
        source_row = conn.execute("select ma_ho_so, ngay_tiep_nhan, dien_tich, updated_at from ho_so_dang_ky"
                                  " where id = 1").fetchone()
    landed = query(warehouse, "select ngay_tiep_nhan, dien_tich, updated_at from raw.land__registrations"
                              " where ma_ho_so = %s", source_row[0])[0]
    day, month, year = (int(p) for p in source_row[1].split("/"))
    assert landed[0] == date(year, month, day)  # read from the source's 'dd/mm/yyyy' text
    assert landed[1] == source_row[2]
    assert landed[2] == source_row[3].replace(tzinfo=VN_TZ)  # the source's local time, as an instant
    assert query(warehouse, "select count(distinct ma_xa) > 30, min(ngay_tiep_nhan) < '2025-07-01',"
                            " max(ngay_tiep_nhan) >= '2025-07-01' from raw.land__registrations") == [(True, True, True)]

    [again] = load_all(warehouse.url, registry.url, OPTIONS)
    assert again.inserted == again.updated == 0 and again.received == again.unchanged  # the boundary, read again
    assert again.watermark_after == first.watermark_after
    assert query(warehouse, UNBALANCED) == [(0,)]


def _malformed(registry: LandRegistry) -> Callable[[], None]:
    broken = registry.corrupt(0.05)
    registry.broken = broken  # type: ignore[attr-defined]  # for the check
    return registry.repair


def _check_malformed(first: LoadResult, rerun: LoadResult, registry: LandRegistry, warehouse: Warehouse) -> None:
    broken = registry.broken  # type: ignore[attr-defined]
    refused = broken["bad_date"] + broken["negative_area"] + broken["missing_key"] + broken["overlong_text"]
    assert refused > 0 and broken["nfd_text"] > 0
    assert first.quarantined == refused and first.loaded == ROWS - refused
    reasons = dict(query(warehouse, "select split_part(reason, ':', 1), count(*) from raw._quarantine group by 1"))
    assert reasons == {"ngay_tiep_nhan": broken["bad_date"], "dien_tich": broken["negative_area"],
                       "ma_ho_so": broken["missing_key"], "loai_thu_tuc": broken["overlong_text"]}
    assert query(warehouse, "select count(*) from raw._quarantine where reason like '%%is not a date%%'"
                            " and payload like '%%/%%'") == [(broken["bad_date"],)]
    # The repair was silent (no new updated_at): the quarantine held the watermark, so the rerun read them again.
    assert rerun.inserted == refused
    # Decomposed owner names land composed (NFC).
    assert query(warehouse, "select count(*) from raw.land__registrations"
                            " where ten_chu_su_dung <> normalize(ten_chu_su_dung, NFC)") == [(0,)]


def _drift(registry: LandRegistry) -> Callable[[], None]:
    registry.drift()
    return registry.undo_drift


def _check_drift(first: LoadResult, rerun: LoadResult, registry: LandRegistry, warehouse: Warehouse) -> None:
    assert first.drift == {"added": ["ghi_chu", "ma_muc_dich"], "missing": ["muc_dich_su_dung", "so_to_ban_do"]}
    # A removed required column: every row is quarantined, and nothing loaded moves the watermark.
    assert first.quarantined == ROWS and first.loaded == 0 and first.watermark_after is None
    assert query(warehouse, "select count(*) from raw._quarantine where reason like '%%so_to_ban_do: required"
                            " field is missing%%'") == [(ROWS,)]
    assert query(warehouse, "select drift from ingest.load_log order by load_id") == [(first.drift,), (None,)]


def _added_column(registry: LandRegistry) -> Callable[[], None]:
    registry.drift(rename=False, remove=False)
    return registry.undo_drift


def _check_added_column(first: LoadResult, rerun: LoadResult, registry: LandRegistry,
                        warehouse: Warehouse) -> None:
    assert first.drift == {"added": ["ghi_chu"]} and first.loaded == ROWS
    # Kept in _extra on the faulty run; the rerun, reading the drifted rows once more, took them back out.
    assert rerun.updated == ROWS
    logged = query(warehouse, "select drift from ingest.load_log order by load_id")
    assert logged == [({"added": ["ghi_chu"]},), (None,)]


def _updated_during_read(registry: LandRegistry) -> Callable[[], None]:
    registry.update_during_read(30)
    return lambda: None


def _check_updated_during_read(first: LoadResult, rerun: LoadResult, registry: LandRegistry,
                               warehouse: Warehouse) -> None:
    # The cursor read a snapshot: the first run saw every row as it was; the changed ones come next run.
    assert first.received == first.loaded == ROWS
    assert rerun.updated == 30 and rerun.watermark_after > first.watermark_after


def _dropped_connection(registry: LandRegistry) -> Callable[[], None]:
    registry.drop_connection_mid_read(times=2)
    return lambda: None


def _check_dropped_connection(first: LoadResult, rerun: LoadResult, registry: LandRegistry,
                              warehouse: Warehouse) -> None:
    assert registry.fired.count("connection dropped") == 2
    # Resumed after the last row read: nothing read twice, nothing missed.
    assert (first.received, first.loaded, first.duplicates, first.quarantined) == (ROWS, ROWS, 0, 0)


def _down_mid_read(registry: LandRegistry) -> Callable[[], None]:
    registry.go_down_mid_read()
    return registry.come_back


def _check_down(first: LoadResult, rerun: LoadResult, registry: LandRegistry, warehouse: Warehouse) -> None:
    assert first.status == "failed" and "gave up" in first.message
    assert query(warehouse, "select status from ingest.load_log order by load_id") == [("failed",), ("succeeded",)]
    assert rerun.watermark_before is None and rerun.inserted == ROWS


@dataclass(frozen=True)
class Fault:
    arrange: Callable[[LandRegistry], Callable[[], None]]  # sets the fault; returns how the source is put right
    check: Callable[[LoadResult, LoadResult, LandRegistry, Warehouse], None]  # the faulty run, the rerun
    fired: str = ""  # what the simulator records when the fault happened while Kho read


FAULTS = {
    "malformed rows": Fault(_malformed, _check_malformed),
    "schema drift (renamed, added, removed)": Fault(_drift, _check_drift),
    "a column added": Fault(_added_column, _check_added_column),
    "rows updated while Kho reads": Fault(_updated_during_read, _check_updated_during_read, "rows updated"),
    "the connection dropped mid-read": Fault(_dropped_connection, _check_dropped_connection, "connection dropped"),
    "the source going down mid-read": Fault(_down_mid_read, _check_down, "source went down"),
}


@pytest.mark.parametrize("name", FAULTS, ids=FAULTS)
def test_a_faulty_run_then_a_clean_rerun_equals_a_clean_run(name: str, registry: LandRegistry,
                                                            warehouse: Warehouse,
                                                            second_warehouse: Warehouse) -> None:
    fault = FAULTS[name]
    put_right = fault.arrange(registry)
    try:
        [first] = load_all(warehouse.url, registry.url, slowly())
    except IngestError as exc:
        assert fault.check is _check_down, "only a source that stays down may fail the run"
        first = exc.result
    if fault.fired:
        assert fault.fired in registry.fired, "the fault did not happen while Kho was reading"
    put_right()
    [rerun] = load_all(warehouse.url, registry.url, OPTIONS)
    [clean] = load_all(second_warehouse.url, registry.url, OPTIONS)

    assert raw_state(warehouse) == raw_state(second_warehouse)
    assert query(warehouse, "select count(*) from raw.land__registrations") == [(ROWS,)]
    for result in (rerun, clean):
        assert result.received == result.loaded + result.quarantined + result.duplicates
    assert query(warehouse, UNBALANCED) == [(0,)]
    fault.check(first, rerun, registry, warehouse)


def test_drift_is_reported_from_the_table_even_when_no_row_changed(registry: LandRegistry,
                                                                   warehouse: Warehouse) -> None:
    load_all(warehouse.url, registry.url, OPTIONS)
    with registry.connect() as conn:  # the rows at the watermark go, so the next run reads none
        conn.execute("delete from ho_so_dang_ky where updated_at = (select max(updated_at) from ho_so_dang_ky)")
    registry.drift(rename=False, remove=False)
    [result] = load_all(warehouse.url, registry.url, OPTIONS)
    assert result.received == 0 and result.drift == {"added": ["ghi_chu"]}
    assert query(warehouse, "select drift from ingest.load_log order by load_id desc limit 1") == [(result.drift,)]


def test_a_source_that_stays_down_leaves_everything_as_it_was(registry: LandRegistry, warehouse: Warehouse) -> None:
    load_all(warehouse.url, registry.url, OPTIONS)
    registry.update_rows(ROWS // 2)  # enough changed rows for a read of several pages
    before = raw_state(warehouse), query(warehouse, WATERMARKS)
    registry.go_down_mid_read()
    with pytest.raises(IngestError, match="rolled back"):
        load_all(warehouse.url, registry.url, slowly())
    assert (raw_state(warehouse), query(warehouse, WATERMARKS)) == before
    failed = query(warehouse, "select message from ingest.load_log where status = 'failed'")
    assert len(failed) == 1 and "gave up" in failed[0][0]
    registry.come_back()
    [result] = load_all(warehouse.url, registry.url, OPTIONS)
    assert result.updated == ROWS // 2


def test_the_source_is_registered_with_its_setting() -> None:
    land = source("land")
    assert land.setting == "KHO_LAND_DATABASE_URL" and land.entities == {"registrations": REGISTRATIONS}
    assert [f.name for f in REGISTRATIONS.fields if f.personal] == ["ten_chu_su_dung"]


# --- the contract, under any input -----------------------------------------------------------------------------
GOOD = {"id": 7, "ma_ho_so": "000.00.31.H37-240115-0003", "loai_thu_tuc": "Đăng ký biến động",
        "ma_co_quan_tiep_nhan": "000.00.31.H37", "ma_xa": "27685", "so_to_ban_do": 12, "so_thua": 345,
        "dien_tich": "150.5", "muc_dich_su_dung": "ONT+CLN", "ten_chu_su_dung": "Nguyễn Văn An",
        "ngay_tiep_nhan": "15/01/2024", "ngay_hen_tra": "29/01/2024", "ngay_tra_ket_qua": None, "trang_thai": 2,
        "updated_at": "2024-01-15T09:12:00"}
values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.binary().map(bytes.hex),
                   st.dates().map(lambda d: d.strftime("%d/%m/%Y")), st.lists(st.integers(), max_size=3),
                   st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


def test_the_good_record_is_valid() -> None:
    row, extra = REGISTRATIONS.validate(as_record(GOOD))
    assert extra == {} and row[REGISTRATIONS.columns.index("ngay_tiep_nhan")] == date(2024, 1, 15)


@given(st.dictionaries(st.sampled_from([f.name for f in REGISTRATIONS.fields] + ["ghi_chu"]), values))
def test_any_row_is_either_valid_or_invalid_with_a_reason(overrides: dict) -> None:
    record = as_record({**GOOD, **overrides})
    try:
        row, extra = REGISTRATIONS.validate(record)
    except Invalid as exc:
        assert str(exc) and ":" in str(exc)  # "<column>: <what is wrong>"
    else:
        assert len(row) == len(REGISTRATIONS.fields) and set(extra) <= {"ghi_chu"}


@given(st.text())
def test_date_text_is_converted_or_left_for_the_contract_to_refuse(text: str) -> None:
    converted = iso_date(text)
    if converted != text:  # only a real day is converted, and then to ISO 8601
        assert date.fromisoformat(converted).isoformat() == converted


@given(st.dates(min_value=date(1900, 1, 1)))
def test_every_real_day_reads_back(day: date) -> None:
    assert iso_date(day.strftime("%d/%m/%Y")) == day.isoformat()
