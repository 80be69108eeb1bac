"""The health system's CSV drop, into a real PostgreSQL from real files: every fault, then a clean re-delivery,
ends exactly as a clean load; legacy encodings land as NFC Vietnamese; reruns load nothing new."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.contract import VN_TZ, Invalid
from ingest.files import FileReading, csv_records, inspect, iso_date, report_date
from ingest.health import DROPS, SOURCE, load_all
from ingest.health.contract import VISITS
from ingest.sources import LoadOptions
from kho.warehouse import Warehouse
from simulators.health.drop import HealthDrop, HealthFaults
from simulators.health.generate import HealthSimConfig
from tests.conftest import query, scratch_database

# Vĩnh Long, four days across the reorganisation (Sunday 29 June to Wednesday 2 July 2025): ~2,000 rows.
CONFIG = HealthSimConfig(province="vinh-long", start=date(2025, 6, 29), as_of=datetime(2025, 7, 3), seed=11)
OPTIONS = LoadOptions(page_size=500)
LOCAL_DAY = "(_file_date at time zone 'Asia/Ho_Chi_Minh')::date"
BALANCED = ("select count(*) from ingest.load_log where status = 'succeeded' "
            "and received <> loaded + quarantined + duplicates")


def raw_state(warehouse: Warehouse, *, with_hashes: bool = True) -> list[tuple]:
    columns = ", ".join([*(c for c in VISITS.columns if with_hashes or c != "_file_sha256"), "_extra"])
    return query(warehouse, f"select {columns} from {VISITS.table} order by _row_key")


def files_in(folder: Path) -> int:
    """Data rows in the drop folder, counted without any of Kho's code."""
    total = 0
    for path in folder.glob("kcb_*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            total += sum(1 for _ in csv.reader(handle)) - 1
    return total


@pytest.fixture(scope="module")
def clean_state(pg_server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    """The raw table after a clean load, computed once."""
    folder = tmp_path_factory.mktemp("health-clean") / "drop"
    HealthDrop(CONFIG, folder).deliver()
    with scratch_database(pg_server) as database:
        load_all(database.url, str(folder), OPTIONS)
        return raw_state(database)


@pytest.fixture
def drop(tmp_path: Path) -> Iterator[HealthDrop]:
    yield HealthDrop(CONFIG, tmp_path / "drop")


def test_a_clean_load_takes_every_row_once(drop: HealthDrop, warehouse: Warehouse, clean_state: list) -> None:
    drop.deliver()
    expected = files_in(drop.folder)
    [result] = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert (result.received, result.loaded, result.quarantined, result.duplicates) == (expected, expected, 0, 0)
    assert query(warehouse, "select count(*) from raw.health__visits") == [(expected,)]
    assert raw_state(warehouse) == clean_state
    assert query(warehouse, "select status, count(*), sum(rows) from ingest.files group by 1") == [
        ("loaded", 4, expected)]
    # Both sides of 1 July 2025: old communes' stations until 30 June, the merged communes' from 1 July.
    assert query(warehouse, "select count(distinct ngay_kham) from raw.health__visits") == [(4,)]
    assert query(warehouse, f"select max({LOCAL_DAY}) from raw.health__visits") == [(date(2025, 7, 2),)]
    assert result.watermark_after is not None and result.watermark_after.astimezone(VN_TZ).date() == date(2025, 7, 2)

    [again] = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert (again.received, again.loaded, again.inserted, again.updated) == (0, 0, 0, 0)
    assert "4 unchanged" in again.message
    assert query(warehouse, BALANCED) == [(0,)]


FAULTS = {
    "truncated file": HealthFaults(truncated=True),
    "TCVN3 file": HealthFaults(tcvn3=True),
    "VNI file": HealthFaults(vni=True),
    "undeterminable encoding": HealthFaults(unknown_encoding=True),
    "UTF-8 with BOM": HealthFaults(bom=True),
    "NFD text": HealthFaults(nfd=True),
    "malformed rows": HealthFaults(malformed_rate=0.05),
    "duplicated file": HealthFaults(duplicate=True),
    "schema drift": HealthFaults(drift=True),
    "file later corrected": HealthFaults(corrected=True),
}


@pytest.mark.parametrize("faults", FAULTS.values(), ids=FAULTS.keys())
def test_a_faulty_delivery_then_a_clean_one_equals_a_clean_load(faults: HealthFaults, drop: HealthDrop,
                                                                warehouse: Warehouse, clean_state: list) -> None:
    drop.deliver(faults)
    load_all(warehouse.url, str(drop.folder), OPTIONS)
    drop.deliver()
    load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert raw_state(warehouse) == clean_state
    assert query(warehouse, BALANCED) == [(0,)]
    [again] = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert again.received == 0 and "unchanged" in again.message  # a rerun loads nothing new


def test_report_dates_in_file_names() -> None:
    assert report_date("kcb_20250630.csv") == date(2025, 6, 30)
    assert report_date("kcb_2025-06-30_gui_lai.csv") == date(2025, 6, 30)
    assert report_date("csdl_truong_hoc_2024-2025.xlsx") == date(2024, 9, 5)
    assert report_date("kcb_20251345.csv") is None and report_date("kcb_moi_nhat.csv") is None
    assert iso_date("05/07/2025") == "2025-07-05" and iso_date("31/02/2025") == "31/02/2025"


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_a_legacy_encoded_file_lands_as_nfc_vietnamese(encoding: str, drop: HealthDrop, warehouse: Warehouse,
                                                       clean_state: list) -> None:
    drop.deliver(HealthFaults(**{encoding: True}))
    [result] = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert result.quarantined == 0 and f"converted from {encoding}" in result.message
    # No re-delivery needed: the conversion is exact (only the file hash the rows carry differs).
    assert raw_state(warehouse, with_hashes=False) == [(*r[:-2], r[-1]) for r in clean_state]
    assert query(warehouse, "select encoding, count(*) from ingest.files group by 1 order by 2") == [
        (encoding, 1), ("utf-8", 3)]
    names = query(warehouse, "select distinct ten_co_so_kcb from raw.health__visits where ten_co_so_kcb "
                             "like 'Trạm Y tế%' and normalize(ten_co_so_kcb, NFC) = ten_co_so_kcb")
    assert len(names) > 20


def test_an_undeterminable_encoding_quarantines_the_file_with_its_reason(drop: HealthDrop,
                                                                        warehouse: Warehouse) -> None:
    drop.deliver(HealthFaults(unknown_encoding=True))
    [result] = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert result.quarantined == 1
    [(reason, payload)] = query(warehouse, "select reason, payload from raw._quarantine")
    assert "encoding cannot be determined" in reason and "kcb_20250630.csv" in reason
    assert '"first_bytes"' in payload
    assert query(warehouse, "select file_name, status from ingest.files where status <> 'loaded'") == [
        ("kcb_20250630.csv", "unreadable")]
    [again] = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert again.received == 0  # the same unreadable file is not quarantined again and again


def test_a_truncated_file_loads_all_but_its_cut_row_and_reloads_when_delivered_whole(
        drop: HealthDrop, warehouse: Warehouse, clean_state: list) -> None:
    drop.deliver(HealthFaults(truncated=True))
    cut = drop.folder / "kcb_20250702.csv"
    complete_rows = cut.read_bytes().count(b"\n") - 1
    [result] = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert result.quarantined == 1
    [(reason,)] = query(warehouse, "select reason from raw._quarantine")
    assert "cut short" in reason
    assert query(warehouse, "select status, rows from ingest.files where file_name = %s", cut.name) == [
        ("incomplete", complete_rows + 1)]
    loaded = query(warehouse, "select count(*) from raw.health__visits where ngay_kham = '2025-07-02'")[0][0]
    assert loaded == complete_rows

    drop.deliver()
    [result] = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert result.quarantined == 0 and result.inserted > 0
    assert raw_state(warehouse) == clean_state


def test_a_duplicate_is_counted_not_loaded(drop: HealthDrop, warehouse: Warehouse, clean_state: list) -> None:
    drop.deliver(HealthFaults(duplicate=True))
    [result] = load_all(warehouse.url, str(drop.folder), OPTIONS)
    original = query(warehouse, "select rows from ingest.files where file_name = 'kcb_20250630.csv'")[0][0]
    assert result.duplicates == original and result.loaded == result.received - original
    assert query(warehouse, "select file_name, duplicate_of from ingest.files where status = 'duplicate'") == [
        ("kcb_20250630_gui_lai.csv", "kcb_20250630.csv")]
    assert raw_state(warehouse) == clean_state


def test_a_corrected_file_replaces_the_rows_of_the_wrong_one(drop: HealthDrop, warehouse: Warehouse,
                                                             clean_state: list) -> None:
    drop.deliver(HealthFaults(corrected=True))
    load_all(warehouse.url, str(drop.folder), OPTIONS)
    stray = "select count(*) from raw.health__visits where ma_co_so_kcb >= '86400' and ngay_kham = '2025-06-30'"
    assert query(warehouse, stray) == [(1,)]  # a new commune's station, the day before it existed
    drop.deliver()
    [result] = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert result.updated > 0 and "1 row(s) no longer in their corrected file removed" in result.message
    assert query(warehouse, stray) == [(0,)]
    assert raw_state(warehouse) == clean_state
    assert query(warehouse, "select count(*) from ingest.files") == [(5,)]  # two versions of one file


def test_drift_is_reported_and_the_renamed_values_kept(drop: HealthDrop, warehouse: Warehouse) -> None:
    drop.deliver()
    load_all(warehouse.url, str(drop.folder), OPTIONS)
    drop.deliver(HealthFaults(drift=True))  # from some day on, the export changes its columns
    [result] = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert result.drift == {"added": ["Ghi chú", "Số lượt KCB BHYT"],
                            "missing": ["Số lượt chuyển tuyến", "Số lượt khám BHYT"]}
    kept = query(warehouse, "select count(*) from raw.health__visits where _extra ? 'Số lượt KCB BHYT'")[0][0]
    assert kept == result.received and result.quarantined == 0


def test_malformed_rows_are_quarantined_with_reasons(drop: HealthDrop, warehouse: Warehouse) -> None:
    drop.deliver(HealthFaults(malformed_rate=0.05))
    [result] = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert result.quarantined > 20
    reasons = " ".join(r for (r,) in query(warehouse, "select reason from raw._quarantine"))
    for expected in ("is not a date", "expected an integer", "required field is empty", "longer than",
                     "values where the header has", "below the minimum", "does not match",
                     "is not the day of this file"):
        assert expected in reasons, expected


def test_a_late_file_for_an_old_day_is_backfilled(drop: HealthDrop, warehouse: Warehouse,
                                                  clean_state: list) -> None:
    drop.deliver()
    first = drop.folder / "kcb_20250629.csv"
    held_back = first.read_bytes()
    first.unlink()
    load_all(warehouse.url, str(drop.folder), OPTIONS)
    first.write_bytes(held_back)  # delivered late, after later days were loaded
    [result] = load_all(warehouse.url, str(drop.folder), OPTIONS)
    assert result.inserted == result.received > 0
    assert result.watermark_after.astimezone(VN_TZ).date() == date(2025, 7, 2)  # the watermark stays
    assert raw_state(warehouse) == clean_state


def test_the_source_is_registered() -> None:
    from ingest.sources import source

    assert source("health") is SOURCE and SOURCE.setting == "KHO_HEALTH_DROP_DIR"
    assert DROPS["visits"].contract is VISITS


# ------------------------------------------------------------------------------------------ properties

_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=400),
                    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                          max_size=2))


@given(st.dictionaries(st.sampled_from([f.name for f in VISITS.fields] + ["Ghi chú"]), _VALUES))
@settings(max_examples=400, deadline=None)
def test_the_contract_refuses_malformed_records_with_a_reason(record: dict) -> None:
    try:
        VISITS.validate(record)
    except Invalid as exc:
        assert str(exc)


@given(st.binary(max_size=3000), st.booleans())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_reading_arbitrary_bytes_as_a_drop_file_never_crashes(tmp_path: Path, data: bytes, header: bool) -> None:
    path = tmp_path / "kcb_20250101.csv"
    path.write_bytes(("Mã cơ sở KCB,Ngày khám\r\n".encode() if header else b"") + data)
    drop = inspect(path)
    reading = FileReading(drop, encoding="utf-8" if drop.utf8 else "vni")
    for record in csv_records(drop, reading):
        assert isinstance(record, dict)
    assert all(p.reason for p in reading.problems)


def test_a_csv_with_semicolons_and_a_bom_reads(tmp_path: Path) -> None:
    path = tmp_path / "kcb_20250101.csv"
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows([["Mã cơ sở KCB", "Tên cơ sở KCB"],
                                                                        ["86001", "Bệnh viện; cơ sở 2"]])
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    drop = inspect(path)
    reading = FileReading(drop, encoding="utf-8-sig")
    assert list(csv_records(drop, reading)) == [{"Mã cơ sở KCB": "86001", "Tên cơ sở KCB": "Bệnh viện; cơ sở 2"}]
