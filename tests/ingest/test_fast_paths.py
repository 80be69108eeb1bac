"""The fast paths (columnar pages, the compiled renderer) decide exactly what the contract decides."""

from __future__ import annotations

import json
import struct
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import columnar, unicode_tables
from ingest.contract import Invalid
from ingest.dossier.client import pages
from ingest.dossier.contract import DOSSIERS, STATUS_STEPS
from ingest.load import load
from ingest.render import compile_renderer, copy_text
from ingest.schema import bootstrap, ensure_raw_table
from kho.warehouse import Warehouse
from simulators.dossier.server import DossierSimulator
from simulators.faults import Faults
from tests.conftest import query, scratch_database
from tests.ingest.test_contract import GOOD, json_values


@pytest.fixture
def reference(pg_server: Warehouse) -> Iterator[Warehouse]:
    with scratch_database(pg_server) as database:
        yield database


FEEDS = {"clean": Faults(), "malformed": Faults(malformed_rate=0.2), "drift": Faults(drift=True),
         "inconsistent": Faults(inconsistent_rate=0.1)}


@pytest.mark.parametrize("faults", FEEDS.values(), ids=FEEDS.keys())
@pytest.mark.parametrize("contract", [DOSSIERS, STATUS_STEPS], ids=["dossiers", "status_steps"])
def test_fast_and_reference_loads_leave_the_same_warehouse(contract, faults: Faults, warehouse: Warehouse,
                                                           reference: Warehouse,
                                                           dossier_simulator: DossierSimulator) -> None:
    dossier_simulator.faults = faults

    def extract(since):
        return pages(dossier_simulator.url, contract.entity, since, page_size=700)

    fast = load(warehouse.url, contract, extract)
    slow = load(reference.url, contract, extract, fast=False)

    columns = ", ".join([*contract.columns, "_extra"])
    table = f"select {columns} from {contract.table} order by 1"
    assert query(warehouse, table) == query(reference, table)
    quarantine = "select record_key, reason, payload from raw._quarantine order by payload_sha256"
    assert query(warehouse, quarantine) == query(reference, quarantine)
    for name in ("received", "loaded", "quarantined", "duplicates", "watermark_after", "drift"):
        assert getattr(fast, name) == getattr(slow, name), name


def _comparable(text: str, field_type: str):
    """A COPY text value as PostgreSQL will read it, so both spellings of one instant compare equal."""
    if text == "\\N":
        return None
    if field_type == "timestamp":
        return datetime.fromisoformat(text.replace("T", " ") if "-" in text else
                                      f"{text[:4]}-{text[4:6]}-{text[6:8]} {text[9:11]}:{text[11:13]}:{text[13:15]}"
                                      f"{text[15:]}:00")
    return text


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from([f.name for f in DOSSIERS.fields]), json_values))
def test_the_compiled_renderer_agrees_with_the_contract(overrides: dict) -> None:
    record = {**GOOD, **overrides}
    render = compile_renderer(DOSSIERS)
    try:
        values, extra = DOSSIERS.validate(record)
    except Invalid as expected:
        with pytest.raises(Invalid) as raised:
            render(record)
        assert str(raised.value) == str(expected)
        return
    line, cursor, rendered_extra = render(record)
    types = [f.type for f in DOSSIERS.fields]
    assert [_comparable(t, k) for t, k in zip(line.split("\t"), types, strict=True)] == [
        _comparable(copy_text(v), k) for v, k in zip(values, types, strict=True)]
    assert cursor == values[[f.name for f in DOSSIERS.fields].index("NgayCapNhat")]
    assert (rendered_extra or {}) == extra


# ----------------------------------------------------------------------------- columnar pages (binary COPY)

def _decode_binary_copy(stream: bytes) -> list[list[bytes | None]]:
    """PostgreSQL's binary COPY format, read back: each row's fields as bytes (None for NULL)."""
    assert stream[:11] == b"PGCOPY\n\xff\r\n\x00"
    position, rows = 19, []
    while True:
        (count,) = struct.unpack_from(">h", stream, position)
        position += 2
        if count == -1:
            assert position == len(stream)
            return rows
        row: list[bytes | None] = []
        for _ in range(count):
            (length,) = struct.unpack_from(">i", stream, position)
            position += 4
            row.append(None if length == -1 else stream[position:position + length])
            position += max(length, 0)
        rows.append(row)


def _binary_value(raw: bytes | None, field_type: str):
    if raw is None:
        return None
    if field_type == "text":
        return raw.decode("utf-8")
    if field_type in ("smallint", "integer", "bigint"):
        return int.from_bytes(raw, "big", signed=True)
    if field_type == "boolean":
        return raw == b"\x01"
    if field_type == "timestamp":
        return datetime(2000, 1, 1, tzinfo=UTC) + timedelta(microseconds=int.from_bytes(raw, "big", signed=True))
    assert field_type == "numeric"
    ndigits, weight, sign, scale = struct.unpack_from(">hhHh", raw)
    digits = struct.unpack_from(f">{ndigits}H", raw, 8)
    number = sum(Decimal(d) * Decimal(10000) ** (weight - i) for i, d in enumerate(digits))
    return (-number if sign == 0x4000 else number).quantize(Decimal(1).scaleb(-scale))


def test_the_unicode_table_is_the_one_python_computes() -> None:
    assert unicodedata.unidata_version == unicode_tables.UNIDATA_VERSION, "regenerate ingest/unicode_tables.py"
    assert columnar._suspicious() == columnar.suspicious_code_points()


texts = st.text() | st.sampled_from([
    "Đăng ký khai sinh", unicodedata.normalize("NFD", "Đăng ký khai sinh"), " Hộ tịch", "Hộ tịch ", "Hộ\u00a0tịch",
    "Hộ tịch\u0301", "e\u0301", "\u1100\u1161", "Ủy ban\tnhân dân", "x\x00y", "\u2003", "\\", "\"", ""])
values = json_values | texts | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.sampled_from(
    ["20240230083000", "21010101000000", "18991231235959", "2024011508300", "202401150830000", "20240115083000",
     "２０２４０１１５０８３０００"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from([f.name for f in DOSSIERS.fields]), values, max_size=4),
                min_size=1, max_size=4), st.booleans(), st.sampled_from([None, 7]))
def test_a_columnar_page_accepts_only_what_the_contract_accepts_unchanged(overrides: list[dict], ascii: bool,
                                                                          last: int | None) -> None:
    records = [{**GOOD, "MaHoSo": f"000.00.03.H37-240115-{i:04d}", **changes} for i, changes in enumerate(overrides)]
    try:
        page = [json.dumps(r, ensure_ascii=ascii).encode() for r in records]
    except UnicodeEncodeError:
        return  # a lone surrogate only travels escaped
    read = columnar.compile_columnar(DOSSIERS)
    handled = read(page, 100, last)
    if handled is None:
        return  # the whole page goes the per-record way
    accepted = [i for i in range(len(records)) if i not in handled.leftovers]
    assert handled.accepted == len(accepted)
    if not accepted:
        return
    rows = _decode_binary_copy(handled.copy)
    seq_rows = _decode_binary_copy(handled.with_seqs())
    types = [f.type for f in DOSSIERS.fields]
    for i, row, seq_row in zip(accepted, rows, seq_rows, strict=True):
        values, extra = DOSSIERS.validate(records[i])  # must not raise: accepted means valid
        assert extra == {}
        assert [_binary_value(raw, t) for raw, t in zip(row, types, strict=False)] == values
        assert row[len(types)] is None  # _extra
        assert int.from_bytes(row[-1], "big") == (100 + i if last is None else last)
        assert int.from_bytes(seq_row[-1], "big") == 100 + i
    cursors = [DOSSIERS.validate(records[i])[0][-1] for i in accepted]
    assert handled.max_cursor == max(cursors)


@pytest.mark.parametrize("stamp", ["20240230083000", "21010101000000", "21001231235959", "18991231235959",
                                   "19000101000000", "20000229000000", "21000229000000", "2024011508300"])
def test_every_path_reads_a_timestamp_as_the_contract_does(stamp: str) -> None:
    record = {**GOOD, "NgayTra": stamp}
    try:
        expected = DOSSIERS.validate(record)[0]
    except Invalid:
        expected = None
    handled = columnar.compile_columnar(DOSSIERS)([json.dumps(record).encode()], 1)
    assert (handled.accepted == 1) == (expected is not None)
    try:
        line = compile_renderer(DOSSIERS)(record)[0]
    except Invalid:
        line = None
    assert (line is None) == (expected is None)


def test_a_first_load_straight_into_raw_leaves_what_the_merge_leaves(warehouse: Warehouse, reference: Warehouse,
                                                                     dossier_simulator: DossierSimulator) -> None:
    # Repeated pages and overlaps: the first load COPYs into raw until the first key it has already loaded, then
    # goes through the batch and the merge. The reference is not empty (one unrelated row), so it merges throughout.
    dossier_simulator.faults = Faults(duplicate_page_every=3, overlap_records=25, malformed_rate=0.05)
    with psycopg.connect(reference.url, autocommit=True) as conn:
        bootstrap(conn)
        ensure_raw_table(conn, DOSSIERS)
        conn.execute(f"insert into {DOSSIERS.table} (ma_ho_so, ngay_cap_nhat, _load_id) values ('x', now(), 0)")

    def extract(since):
        return pages(dossier_simulator.url, "dossiers", since, page_size=700)

    direct = load(warehouse.url, DOSSIERS, extract)
    merged = load(reference.url, DOSSIERS, extract)
    query(reference, f"delete from {DOSSIERS.table} where ma_ho_so = 'x' returning 1")

    assert direct.duplicates > 0
    table = f"select {', '.join([*DOSSIERS.columns, '_extra'])} from {DOSSIERS.table} order by 1"
    assert query(warehouse, table) == query(reference, table)
    for name in ("received", "loaded", "inserted", "updated", "unchanged", "quarantined", "duplicates",
                 "watermark_after"):
        assert getattr(direct, name) == getattr(merged, name), name
