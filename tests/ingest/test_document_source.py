"""The document source over real HTTP into a real PostgreSQL: a clean load of all four entities, every fault
the document system commits (a faulty run plus a clean rerun equals a clean run), and its contracts under
Hypothesis."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.contract import Contract, Invalid
from ingest.document import ENTITIES, SOURCE, load_all
from ingest.document.contract import EXCHANGE_EVENTS, INCOMING_DOCUMENTS, OUTGOING_DOCUMENTS
from ingest.http import RetryPolicy
from ingest.load import IngestError
from ingest.sources import LoadOptions, sources
from kho.warehouse import Warehouse
from simulators.document.generate import (
    DocumentSimConfig,
    agency_records,
    event_records,
    incoming_records,
    outgoing_records,
)
from simulators.document.server import DocumentSimulator, DocumentStores, build_stores
from simulators.faults import Faults
from tests.conftest import query, scratch_database

# Small: ~300 agencies, 300 outgoing documents, ~700 registrations, ~2,800 status messages, 2016 to 2026.
CONFIG = DocumentSimConfig(documents=300, start=date(2016, 1, 1), as_of=datetime(2026, 3, 1, 8, 0), seed=11)
OPTIONS = LoadOptions(page_size=250, policy=RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, timeout=0.5))
WATERMARKS = "select source, entity, cursor_value from ingest.watermarks order by 1, 2"
STORES = ("agencies", "outgoing", "incoming", "events")  # DocumentStores fields, in ENTITIES order


@pytest.fixture(scope="module")
def document_stores(tmp_path_factory: pytest.TempPathFactory) -> DocumentStores:
    return build_stores(CONFIG, tmp_path_factory.mktemp("document"))


@pytest.fixture
def private_simulator(document_stores: DocumentStores, tmp_path: Path) -> Iterator[DocumentSimulator]:
    """A simulator on a copy of the stores: faults that change records stay in this test."""
    simulator = DocumentSimulator(document_stores.copy_to(tmp_path))
    simulator.start()
    yield simulator
    simulator.stop()


def raw_state(warehouse: Warehouse) -> dict[str, list[tuple]]:
    """Every raw row, without the load bookkeeping columns."""
    state = {}
    for contract in ENTITIES.values():
        columns = ", ".join([*contract.columns, "_extra"])
        state[contract.entity] = query(warehouse, f"select {columns} from {contract.table} order by 1")
    return state


@pytest.fixture(scope="module")
def clean_state(pg_server: Warehouse, document_stores: DocumentStores) -> dict[str, list[tuple]]:
    """The warehouse after one clean run on the unchanged stores: what every faulty run must end as."""
    simulator = DocumentSimulator(document_stores)
    simulator.start()
    try:
        with scratch_database(pg_server) as database:
            load_all(database.url, simulator.url, OPTIONS)
            return raw_state(database)
    finally:
        simulator.stop()


def assert_counts_add_up(warehouse: Warehouse) -> None:
    assert query(warehouse, "select count(*) from ingest.load_log where status = 'succeeded' and "
                            "received <> loaded + quarantined + duplicates") == [(0,)]


def test_the_source_is_registered() -> None:
    assert sources()["document"] is SOURCE
    assert SOURCE.setting == "KHO_DOCUMENT_API_URL"
    assert list(SOURCE.entities) == ["agencies", "outgoing_documents", "incoming_documents", "exchange_events"]
    assert OUTGOING_DOCUMENTS.field("NguoiKy").personal


def test_a_clean_load_lands_every_record_of_every_entity(private_simulator: DocumentSimulator,
                                                         warehouse: Warehouse) -> None:
    results = load_all(warehouse.url, private_simulator.url, OPTIONS)
    assert [r.entity for r in results] == list(ENTITIES)
    for result, store in zip(results, STORES, strict=True):
        expected = getattr(private_simulator.stores, store).count()
        table = ENTITIES[result.entity].table
        assert (result.received, result.loaded, result.inserted) == (expected, expected, expected), result.entity
        assert result.quarantined == result.duplicates == 0 and not result.drift
        assert query(warehouse, f"select count(*) from {table}") == [(expected,)]
    counts = {r.entity: r.loaded for r in results}
    assert counts == {"agencies": 295, "outgoing_documents": 300, "incoming_documents": counts["incoming_documents"],
                      "exchange_events": counts["exchange_events"]}
    assert 500 < counts["incoming_documents"] < 900 and 2000 < counts["exchange_events"] < 3500
    # Typed as the contract says, Vietnamese intact.
    row = query(warehouse, "select so_ky_hieu, ngay_ban_hanh, gui_dien_tu, jsonb_array_length(noi_nhan), do_khan "
                           "from raw.document__outgoing_documents order by ngay_cap_nhat limit 1")[0]
    assert re.fullmatch(r"\d{2,}/\S+", row[0]) and isinstance(row[1], date) and isinstance(row[2], bool)
    assert row[3] >= 1 and row[4] in {"Thường", "Khẩn", "Thượng khẩn", "Hỏa tốc"}
    # A second run reads only the boundary again and changes nothing.
    again = load_all(warehouse.url, private_simulator.url, OPTIONS)
    assert all(r.inserted == r.updated == 0 for r in again)
    assert_counts_add_up(warehouse)


FAULTS = {
    "rate limited with Retry-After": Faults(rate_limit_every=3, retry_after=0.01),
    "500 and 503 answers": Faults(error_every=4),
    "slow answers and timeouts": Faults(slow_every=5, slow_seconds=0.8),
    "duplicate pages": Faults(duplicate_page_every=2),
    "overlapping pages": Faults(overlap_records=37),
    "records updated during the read": Faults(update_during_read=25),
    "schema drift": Faults(drift=True),
    "malformed records": Faults(malformed_rate=0.05),
    "a source that goes down mid-run": Faults(fail_after_requests=6),
}


@pytest.mark.parametrize("faults", FAULTS.values(), ids=FAULTS.keys())
def test_a_faulty_run_then_a_clean_rerun_equals_a_clean_run(faults: Faults, private_simulator: DocumentSimulator,
                                                            warehouse: Warehouse, clean_state: dict,
                                                            pg_server: Warehouse) -> None:
    private_simulator.faults = faults
    try:
        faulty = load_all(warehouse.url, private_simulator.url, OPTIONS)
    except IngestError:
        assert faults.fail_after_requests, "only the source going down may fail the run"
        faulty = []
    private_simulator.faults = Faults()
    rerun = load_all(warehouse.url, private_simulator.url, OPTIONS)

    expected = clean_state
    if faults.update_during_read:  # the source itself changed: compare with a clean run of what it holds now
        with scratch_database(pg_server) as database:
            load_all(database.url, private_simulator.url, OPTIONS)
            expected = raw_state(database)
        assert expected != clean_state
    assert raw_state(warehouse) == expected
    # The fault did bite.
    if faults.malformed_rate:
        assert all(r.quarantined for r in faulty)
    if faults.drift:
        assert all(r.drift for r in faulty)
    if faults.duplicate_page_every or faults.overlap_records:
        assert sum(r.duplicates for r in faulty) > 0
    if faults.fail_after_requests:
        failed = query(warehouse, "select entity from ingest.load_log where status = 'failed'")
        assert failed == [("incoming_documents",)]
    for result in faulty + rerun:
        assert result.received == result.loaded + result.quarantined + result.duplicates
    assert_counts_add_up(warehouse)


def test_duplicates_and_overlaps_are_counted_not_loaded_twice(private_simulator: DocumentSimulator,
                                                               warehouse: Warehouse) -> None:
    private_simulator.faults = Faults(duplicate_page_every=2, overlap_records=10)
    results = {r.entity: r for r in load_all(warehouse.url, private_simulator.url, OPTIONS)}
    events = results["exchange_events"]
    assert events.duplicates > 0 and events.received == events.loaded + events.duplicates
    assert events.loaded == query(warehouse, "select count(*) from raw.document__exchange_events")[0][0] \
        == private_simulator.stores.events.count()
    logged = query(warehouse, "select entity, received, loaded, quarantined, duplicates from ingest.load_log "
                              "where source = 'document' order by load_id")
    assert [row[0] for row in logged] == list(ENTITIES)
    assert all(received == loaded + quarantined + duplicates for _, received, loaded, quarantined, duplicates
               in logged)


def test_malformed_records_are_quarantined_with_a_reason(private_simulator: DocumentSimulator,
                                                         warehouse: Warehouse) -> None:
    private_simulator.faults = Faults(malformed_rate=0.2)
    results = {r.entity: r for r in load_all(warehouse.url, private_simulator.url, OPTIONS)}
    quarantined = dict(query(warehouse, "select entity, count(*) from raw._quarantine group by entity"))
    for entity, result in results.items():
        assert result.quarantined > 0 and quarantined[entity] == result.quarantined, entity
    reasons = [r for (r,) in query(warehouse, "select reason from raw._quarantine")]
    field_names = {f.name for contract in ENTITIES.values() for f in contract.fields}
    assert all(reason.split(":")[0] in field_names for reason in reasons), reasons[:5]
    assert any("SoKyHieu: " in r and "does not match the expected format" in r for r in reasons)
    assert any("MaTrangThai: " in r and "is not one of" in r for r in reasons)
    # Decomposed Vietnamese is well-formed: it lands, composed.
    subjects = [s for (s,) in query(warehouse, "select trich_yeu from raw.document__outgoing_documents")]
    assert subjects and all(unicodedata.is_normalized("NFC", s) for s in subjects)


def test_drift_is_reported_and_nothing_is_lost(private_simulator: DocumentSimulator, warehouse: Warehouse) -> None:
    private_simulator.faults = Faults(drift=True)
    results = {r.entity: r for r in load_all(warehouse.url, private_simulator.url, OPTIONS)}
    assert results["outgoing_documents"].drift == {"added": ["DiaDanh", "DoMat"], "missing": ["NoiBanHanh", "SoTrang"]}
    assert results["exchange_events"].drift == {"added": ["MoTaTrangThai", "PhienBanEdXML"],
                                                "missing": ["MaDinhDanhNoiGui", "TenTrangThai"]}
    # The renamed field's values are kept in the raw payload, under the name the source now uses.
    assert query(warehouse, "select count(*) from raw.document__outgoing_documents where _extra ? 'DiaDanh'") == [
        (CONFIG.documents,)]
    assert all(r.quarantined == 0 for r in results.values())


def test_a_source_that_goes_down_leaves_everything_as_it_was(private_simulator: DocumentSimulator,
                                                              warehouse: Warehouse) -> None:
    load_all(warehouse.url, private_simulator.url, OPTIONS)
    before = raw_state(warehouse), query(warehouse, WATERMARKS)
    key = private_simulator.stores.agencies.all()[0]["MaBanGhi"]
    private_simulator.stores.agencies.touch([key], "NgayCapNhat", "2026-02-01T08:00:00+07:00",
                                           lambda r: r.update(TenCoQuan="UBND tỉnh Long An"))
    private_simulator.faults = Faults(fail_after_requests=1)
    with pytest.raises(IngestError, match="rolled back"):
        load_all(warehouse.url, private_simulator.url, OPTIONS)
    assert (raw_state(warehouse), query(warehouse, WATERMARKS)) == before


# --- the contracts under Hypothesis --------------------------------------------------------------------------

GOOD: dict[str, dict] = {
    "agencies": next(iter(agency_records(CONFIG))),
    "outgoing_documents": next(iter(outgoing_records(CONFIG))),
    "incoming_documents": next(iter(incoming_records(CONFIG))),
    "exchange_events": next(iter(event_records(CONFIG))),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=5,
)
# Text that looks almost right: numbers and symbols, dates, codes, mixed with Vietnamese, surrogates and NUL.
near_misses = st.one_of(
    st.from_regex(r"\d{1,3}/[A-ZĐa-z]{1,4}-[A-ZĐ]{1,5}", fullmatch=True),
    st.from_regex(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\+07:00)?)?", fullmatch=True),
    st.from_regex(r"[0-9A-Za-z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}", fullmatch=True),
    st.sampled_from(["Hỏa tốc", "Hoả tốc", "Khẩn cấp", "QĐ", "QD", "Quyết định", "01", "1", "07", "TM", "KT.",
                     "Đã đến", "\ud800", "a\x00b", "x" * 3000]),
    st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(["\ud800", "\u0301", "Đ"]), max_size=20),
)


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_a_generated_record_passes_its_contract(entity: str) -> None:
    values, extra = ENTITIES[entity].validate(GOOD[entity])
    assert len(values) == len(ENTITIES[entity].fields) and not extra


@settings(max_examples=150, deadline=None)
@given(entity=st.sampled_from(list(ENTITIES)), data=st.data())
def test_any_record_is_either_valid_or_invalid_with_a_reason(entity: str, data: st.DataObject) -> None:
    contract: Contract = ENTITIES[entity]
    names = [f.name for f in contract.fields]
    overrides = data.draw(st.dictionaries(st.sampled_from(names), json_values | near_misses, max_size=4))
    dropped = data.draw(st.sets(st.sampled_from(names), max_size=2))
    record = {k: v for k, v in {**GOOD[entity], **overrides}.items() if k not in dropped}
    try:
        values, _ = contract.validate(record)
    except Invalid as exc:
        assert re.match(r"^\w+: ", str(exc)), str(exc)
        assert str(exc).split(":")[0] in names
    else:
        assert len(values) == len(contract.fields)
        for f, value in zip(contract.fields, values, strict=True):
            if f.required:
                assert value is not None, f.name
            if isinstance(value, str):
                assert unicodedata.is_normalized("NFC", value) and "\x00" not in value
                value.encode("utf-8")  # no lone surrogate reaches COPY


@settings(max_examples=100, deadline=None)
@given(symbol=near_misses)
def test_a_number_symbol_is_accepted_only_in_its_form(symbol: str) -> None:
    record = {**GOOD["incoming_documents"], "SoKyHieu": symbol}
    try:
        values, _ = INCOMING_DOCUMENTS.validate(record)
    except Invalid as exc:
        assert str(exc).startswith("SoKyHieu: ")
    else:
        landed = values[INCOMING_DOCUMENTS.columns.index("so_ky_hieu")]
        assert landed is None if symbol == "" else re.fullmatch(
            r"\d{1,6}/[A-ZĐ][A-Za-zĐđ]*(?:-[A-ZĐ][A-Za-zĐđ0-9]*){0,3}", landed)


@pytest.mark.parametrize(("entity", "change", "reason"), [
    ("outgoing_documents", {"MaLoaiVanBan": "Quyết định"}, "MaLoaiVanBan: 'Quyết định' is not one of"),
    ("outgoing_documents", {"DoKhan": "Khẩn cấp"}, "DoKhan: 'Khẩn cấp' is not one of"),
    ("outgoing_documents", {"SoKyHieu": "Số 01 QĐ UBND"}, "SoKyHieu: 'Số 01 QĐ UBND' does not match"),
    ("outgoing_documents", {"MaVanBan": "01/QĐ-UBND"}, "MaVanBan: '01/QĐ-UBND' does not match"),
    ("outgoing_documents", {"NgayBanHanh": "2024-13-45"}, "NgayBanHanh: '2024-13-45' is not a date"),
    ("outgoing_documents", {"ThamQuyenKy": "KT"}, "ThamQuyenKy: 'KT' is not one of"),
    ("outgoing_documents", {"SoTrang": "mười hai"}, "SoTrang: expected an integer"),
    ("incoming_documents", {"NhanDienTu": "điện tử"}, "NhanDienTu: expected 0/1 or true/false"),
    ("incoming_documents", {"SoDen": 0}, "SoDen: 0 is below the minimum 1"),
    ("exchange_events", {"MaTrangThai": "07"}, "MaTrangThai: '07' is not one of"),
    ("exchange_events", {"LoaiNghiepVu": 4}, "LoaiNghiepVu: 4 is not one of [0, 1, 2, 3]"),
    ("exchange_events", {"MaSuKien": "sự kiện 1"}, "MaSuKien: 'sự kiện 1' does not match"),
    ("agencies", {"CapCoQuan": "Tỉnh"}, "CapCoQuan: 'Tỉnh' is not one of"),
    ("agencies", {"MaDinhDanh": "000.00.00.h37"}, "MaDinhDanh: '000.00.00.h37' does not match"),
])
def test_a_broken_record_says_what_is_wrong(entity: str, change: dict, reason: str) -> None:
    with pytest.raises(Invalid, match="^" + re.escape(reason)):
        ENTITIES[entity].validate({**GOOD[entity], **change})


def test_the_older_accent_placement_and_the_long_agency_form_are_accepted() -> None:
    OUTGOING_DOCUMENTS.validate({**GOOD["outgoing_documents"], "DoKhan": "Hoả tốc"})
    long_form = "H37.31.06.000"  # Decision 20/2020/QĐ-TTg, written from the level-1 code
    EXCHANGE_EVENTS.validate({**GOOD["exchange_events"], "MaDinhDanhNoiNhan": long_form})
