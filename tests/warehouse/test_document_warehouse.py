"""The document system's part of the warehouse end to end: the simulator over real HTTP, ingest into a real
PostgreSQL, then dbt (agency snapshot and versions, incremental facts, KPI marts), checked against indicators
computed here, independently, from the records the simulator serves."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from ingest.document import load_all
from ingest.http import RetryPolicy
from ingest.sources import LoadOptions
from kho.settings import Settings
from kho.transform import BuildResult, run_dbt
from kho.warehouse import Warehouse
from simulators.document.generate import DocumentSimConfig
from simulators.document.server import DocumentSimulator, DocumentStores, build_stores
from simulators.faults import Faults
from tests.conftest import query, scratch_database

# Vĩnh Long, whose committee and departments keep their identifiers on 1 July 2025 as new agencies; 2023 to
# 2 October 2025, so that shares are below 100% in 2023, the three levels give way to two in July 2025, and the
# last month holds a handful of documents (cells the open mart must withhold). ~2,500 outgoing documents.
CONFIG = DocumentSimConfig(province="vinh-long", documents=2500, start=date(2023, 1, 1),
                           as_of=datetime(2025, 10, 2, 8, 0), seed=5)
OPTIONS = LoadOptions(page_size=2000, policy=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05))
# The document models and their parents (dim_date and its seed for the facts' calendar tests); only tests whose
# parents are all selected run, so the dossier models' tests on dim_date stay out.
SELECT = ("--indirect-selection", "cautious", "--select", "+shared_document_kpis_monthly+",
          "+open_document_kpis_monthly", "+fct_document_exchanges", "+dim_date")
REORGANISATION = date(2025, 7, 1)
REUSED_COMMITTEE = "000.00.00.H62"  # Ủy ban nhân dân tỉnh Vĩnh Long, before and after the reorganisation
LEVELS = {"Cấp Tỉnh": "province", "Cấp Huyện": "district", "Cấp Xã": "commune"}
COLLECTIONS = {"agencies": "agencies", "outgoing": "outgoing-documents", "incoming": "incoming-documents",
               "events": "exchange-events"}
MART_COLUMNS = ("month, level, outgoing_documents, outgoing_sent_electronically, electronic_rate_pct, "
                "outgoing_e_signed, e_signed_rate_pct, incoming_documents, incoming_processed_online, "
                "processed_online_rate_pct")
FACTS = {"warehouse.fct_documents": "document_id", "warehouse.fct_document_receipts": "receipt_id",
         "warehouse.fct_document_exchanges": "event_id"}


# --- The indicators, computed from the source records alone (no Kho code) -----------------------------------

def served(base_url: str) -> dict[str, list[dict]]:
    """Every record of the four collections, read over HTTP by following the `next` links."""
    records: dict[str, list[dict]] = {}
    for name, path in COLLECTIONS.items():
        records[name], url = [], f"{base_url}/api/v1/{path}?page_size=5000"
        while url:
            with urllib.request.urlopen(url) as response:
                page = json.load(response)
            records[name].extend(page["data"])
            url = page["next"]
    return records


def agency_period(agencies: list[dict], code: str, day: str) -> dict:
    """The directory record of the agency holding `code` on `day` (ISO date): exactly one, or the test fails."""
    matches = [a for a in agencies if a["MaDinhDanh"] == code and a["HieuLucTuNgay"] <= day
               and (a["HieuLucDenNgay"] is None or day <= a["HieuLucDenNgay"])]
    assert len(matches) == 1, (code, day, matches)
    return matches[0]


def rate(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(100) * numerator / denominator).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected_kpis(records: dict[str, list[dict]]) -> dict[tuple[str, str], tuple]:
    """Outgoing: month of issue (NgayBanHanh) × the level the document states; sent electronically (GuiDienTu)
    and e-signed (KySo) over all issued. Incoming: month of registration (NgayDen, written in local time) × the
    receiver's level in the directory on that day; work files processed online over all registered."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for doc in records["outgoing"]:
        cell = counts[(doc["NgayBanHanh"][:7] + "-01", LEVELS[doc["CapBanHanh"]])]
        cell[0] += 1
        cell[1] += doc["GuiDienTu"]
        cell[2] += doc["KySo"]
    levels: dict[tuple[str, str], str] = {}
    for receipt in records["incoming"]:
        day = receipt["NgayDen"][:10]
        key = (receipt["MaDinhDanhNoiNhan"], day)
        if key not in levels:
            levels[key] = LEVELS[agency_period(records["agencies"], *key)["CapCoQuan"]]
        cell = counts[(day[:7] + "-01", levels[key])]
        cell[3] += 1
        cell[4] += receipt["XuLyTrenMoiTruongMang"]
    return {key: (n, electronic, rate(electronic, n), signed, rate(signed, n), incoming, online, rate(online, incoming))
            for key, (n, electronic, signed, incoming, online) in counts.items()}


def check_small_cells(published: dict[tuple[str, str], tuple], expected: dict[tuple[str, str], tuple]) -> None:
    """The open mart's rule (docs/kpis.md): each count is the true one or withheld; no count of 1–4 shows; a
    part shows only with its whole and when its complement is 5 or more; a rate shows only with its numerator;
    and no month has exactly one level withholding a count (it would be the month's total minus the others)."""
    parts = {1: 0, 3: 0, 6: 5}  # position of a part → position of its whole
    rates = {2: 1, 4: 3, 7: 6}  # position of a rate → position of its numerator
    for key, row in published.items():
        truth = expected[key]
        for position in (0, 1, 3, 5, 6):
            value = row[position]
            assert value is None or (value == truth[position] and not 1 <= value <= 4), (key, position)
            whole = parts.get(position)
            if whole is not None and value is not None:
                assert row[whole] is not None and not 1 <= row[whole] - value <= 4, (key, position)
        for rate, numerator in rates.items():
            assert row[rate] == (truth[rate] if row[numerator] is not None else None), (key, rate)
        assert row[-1] == any(row[p] is None for p in (0, 1, 3, 5, 6)), key
    months = {month for month, _ in published}
    for month in months:
        rows = [row for (m, _), row in published.items() if m == month]
        for position in (0, 1, 3, 5, 6):
            assert len(rows) == 1 or sum(row[position] is None for row in rows) != 1, (month, position)


# --- Fixtures ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def document_stores(tmp_path_factory: pytest.TempPathFactory) -> DocumentStores:
    return build_stores(CONFIG, tmp_path_factory.mktemp("document-stores"))


@contextlib.contextmanager
def running(stores: DocumentStores) -> Iterator[DocumentSimulator]:
    simulator = DocumentSimulator(stores)
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


def dbt_settings(home: Path, warehouse: Warehouse) -> Settings:
    return Settings.from_env({"KHO_HOME": str(home), "KHO_DATABASE_URL": warehouse.url, "KHO_DBT_THREADS": "2"})


def build(settings: Settings, warehouse: Warehouse, *extra: str) -> BuildResult:
    result = run_dbt(settings, warehouse, "build", *SELECT, *extra)
    assert result.success, [f"{n.unique_id}: {n.status} {n.message}" for n in result.problems] or result.error
    return result


@dataclass
class Built:
    warehouse: Warehouse
    records: dict[str, list[dict]]
    result: BuildResult


@pytest.fixture(scope="module")
def built(pg_server: Warehouse, document_stores: DocumentStores,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """One clean ingest and build, shared by the read-only tests (a build takes seconds; the module, not each
    test, pays for it). Its own database on the session's PostgreSQL, dropped at the end."""
    with scratch_database(pg_server) as warehouse:
        with running(document_stores) as simulator:
            load_all(warehouse.url, simulator.url, OPTIONS)
            records = served(simulator.url)
        result = build(dbt_settings(tmp_path_factory.mktemp("home"), warehouse), warehouse)
        yield Built(warehouse, records, result)


def mart(warehouse: Warehouse, table: str) -> dict[tuple[str, str], tuple]:
    """An open mart as it is; the shared mart (one row per agency) added up to month and level."""
    if table.startswith("open"):
        rows = query(warehouse, f"select {MART_COLUMNS}, is_suppressed from marts.{table}")
    else:
        rows = query(warehouse, f"""
            select month, level, sum(outgoing_documents)::int, sum(outgoing_sent_electronically)::int,
                {RATE_SQL.format('outgoing_sent_electronically', 'outgoing_documents')},
                sum(outgoing_e_signed)::int, {RATE_SQL.format('outgoing_e_signed', 'outgoing_documents')},
                sum(incoming_documents)::int, sum(incoming_processed_online)::int,
                {RATE_SQL.format('incoming_processed_online', 'incoming_documents')}
            from marts.{table} group by month, level""")
    return {(row[0].isoformat(), row[1]): tuple(row[2:]) for row in rows}


RATE_SQL = "case when sum({1}) > 0 then round(100.0 * sum({0}) / sum({1}), 2) end"


def facts(warehouse: Warehouse) -> dict[str, list[tuple]]:
    return {table: query(warehouse, f"select * from {table} order by {key}") for table, key in FACTS.items()}


# --- Tests ------------------------------------------------------------------------------------------------

def test_kpi_mart_equals_indicators_computed_from_the_source(built: Built) -> None:
    expected = expected_kpis(built.records)

    assert mart(built.warehouse, "shared_document_kpis_monthly") == expected
    # Enough variety for the comparison to mean something: both sides of the reorganisation, three levels then
    # two, shares below 100%, and every raw row counted (the reconciliation test ran in the build).
    assert {level for (month, level) in expected if month < "2025-07"} == {"province", "district", "commune"}
    assert {level for (month, level) in expected if month >= "2025-07"} == {"province", "commune"}
    assert any(v[2] < 100 for v in expected.values()) and any(v[4] < 100 for v in expected.values())
    assert any(v[7] is not None and v[7] < 100 for v in expected.values())
    assert any(n.unique_id.startswith("test.kho.assert_document_kpis_reconcile_with_raw") and n.status == "pass"
               for n in built.result.nodes)


def test_a_reused_identifier_joins_to_the_agency_of_the_facts_own_date(built: Built) -> None:
    rows = query(built.warehouse, """
        select documents.issued_date, agencies.agency_version_id, agencies.valid_from, agencies.valid_to,
               agencies.is_current
        from warehouse.fct_documents as documents
        inner join warehouse.dim_agencies as agencies
            on agencies.agency_version_id = documents.issuing_agency_version_id
        where documents.issuing_agency_code = %s""", REUSED_COMMITTEE)
    before = {r[1:] for r in rows if r[0] < REORGANISATION}
    after = {r[1:] for r in rows if r[0] >= REORGANISATION}
    assert len(before) == len(after) == 1
    (old_id, old_from, old_to, old_current), = before
    (new_id, new_from, new_to, new_current), = after
    assert old_id != new_id
    assert (old_from, old_to, old_current) == (date(2016, 1, 1), date(2025, 6, 30), False)
    assert (new_from, new_to, new_current) == (REORGANISATION, None, True)

    # Every fact, not just one agency: the version each row carries is the directory record of its own day.
    agencies = built.records["agencies"]
    versions = {r[0]: (r[1], r[2]) for r in query(
        built.warehouse, "select agency_version_id, agency_code, valid_from::text from warehouse.dim_agencies")}
    documents = query(built.warehouse, "select issuing_agency_code, issued_date::text, issuing_agency_version_id "
                                       "from warehouse.fct_documents")
    receipts = query(built.warehouse, "select receiving_agency_code, registered_date::text, "
                                      "receiving_agency_version_id from warehouse.fct_document_receipts")
    for code, day, version_id in documents + receipts:
        assert versions[version_id] == (code, agency_period(agencies, code, day)["HieuLucTuNgay"]), (code, day)
    reused = {a["MaDinhDanh"] for a in agencies if a["HieuLucTuNgay"] == REORGANISATION.isoformat()} & {
        a["MaDinhDanh"] for a in agencies if a["HieuLucDenNgay"]}
    assert len(reused) == 14
    assert len({(code, version_id) for code, _, version_id in receipts if code in reused}) > 14


def test_open_mart_withholds_small_counts_and_holds_no_personal_data(built: Built) -> None:
    expected = expected_kpis(built.records)
    published_rows = mart(built.warehouse, "open_document_kpis_monthly")

    assert published_rows.keys() == expected.keys()
    check_small_cells(published_rows, expected)
    assert any(row[-1] for row in published_rows.values())  # the last, short month has cells to withhold
    columns = [c for (c,) in query(built.warehouse, """
        select column_name from information_schema.columns
        where table_schema = 'marts' and table_name = 'open_document_kpis_monthly' order by ordinal_position""")]
    assert columns == [*MART_COLUMNS.split(", "), "is_suppressed"]
    # The signer's name (NguoiKy) stops at raw: no column beyond raw carries it, and no value of it leaks.
    signer_columns = query(built.warehouse, """
        select table_schema, table_name, column_name from information_schema.columns
        where table_schema in ('staging', 'warehouse', 'marts', 'snapshots')
          and (column_name like '%%nguoi_ky%%' or column_name like '%%signer_name%%')""")
    assert signer_columns == []
    signers = sorted({d["NguoiKy"] for d in built.records["outgoing"]})
    text_columns = query(built.warehouse, """
        select table_schema, table_name, column_name from information_schema.columns
        where table_schema in ('staging', 'warehouse', 'marts', 'snapshots') and data_type in ('text', 'jsonb')
          and (table_name like '%%document%%' or table_name = 'dim_agencies')""")
    assert len(text_columns) > 30
    for schema, table, column in text_columns:
        leaked = query(built.warehouse, f'select count(*) from {schema}.{table} where "{column}"::text = any(%s)'
                                        f' or "{column}"::text like %s', signers, f"%{signers[0]}%")
        assert leaked == [(0,)], (schema, table, column)


def _signed_and_sent(record: dict) -> None:
    """A correction the system sends later: the paper copy replaced by the signed electronic one."""
    record["GuiDienTu"] = record["KySo"] = True
    record["SoTrang"] = (record.get("SoTrang") or 0) + 1


def _handled_online(record: dict) -> None:
    record["XuLyTrenMoiTruongMang"] = not record["XuLyTrenMoiTruongMang"]


def _resent(record: dict) -> None:
    record["TenTrangThai"] = f"{record['TenTrangThai']} (gửi lại)"


def test_incremental_builds_equal_a_full_refresh_after_the_source_changes(
        warehouse: Warehouse, document_stores: DocumentStores, tmp_path: Path) -> None:
    settings = dbt_settings(tmp_path / "home", warehouse)
    with running(document_stores.copy_to(tmp_path)) as simulator:
        load_all(warehouse.url, simulator.url, OPTIONS)
        build(settings, warehouse, "--exclude-resource-type", "test")

        # Late updates: records already built change in the source and move past the watermark; the agency
        # directory renames agencies while Kho reads it (the simulator's update_during_read fault).
        stores = simulator.stores
        outgoing = stores.outgoing.all()
        paper = [d["MaVanBan"] for d in outgoing if not d["GuiDienTu"] or not d["KySo"]][:15]
        changed = {
            "outgoing": paper + [d["MaVanBan"] for d in outgoing[::250]],
            "incoming": [r["MaVanBanDen"] for r in stores.incoming.all()[::150]],
            "events": [e["MaSuKien"] for e in stores.events.all()[::1000]],
        }
        for name, change in (("outgoing", _signed_and_sent), ("incoming", _handled_online), ("events", _resent)):
            store = getattr(stores, name)
            later = (datetime.fromisoformat(store.max_updated_at()) + timedelta(minutes=1)).isoformat()
            store.touch(changed[name], "NgayCapNhat", later, change)
        simulator.faults = Faults(update_during_read=3)
        load_all(warehouse.url, simulator.url, OPTIONS)  # agencies renamed as they are served
        simulator.faults = Faults()
        load_all(warehouse.url, simulator.url, OPTIONS)  # the renamed agencies, now past the watermark
        records = served(simulator.url)

    incremental = build(settings, warehouse)
    after_incremental = facts(warehouse)
    renamed = query(warehouse, "select agency_code, agency_name, attribute_versions from warehouse.dim_agencies "
                               "where attribute_versions > 1")
    full = build(settings, warehouse, "--full-refresh")

    assert facts(warehouse) == after_incremental
    assert mart(warehouse, "shared_document_kpis_monthly") == expected_kpis(records)
    assert len(paper) == 15 and renamed
    assert all("UBND" in name and "Ủy ban nhân dân" not in name for _, name, _ in renamed)
    # The incremental build merged only what changed; the full refresh rebuilt every row.
    merged = {n.unique_id.rsplit(".", 1)[-1]: n.message for n in incremental.nodes if n.unique_id.startswith("model")}
    rebuilt = {n.unique_id.rsplit(".", 1)[-1]: n.message for n in full.nodes if n.unique_id.startswith("model")}
    assert merged["fct_documents"] == f"MERGE {len(set(changed['outgoing']))}"
    assert merged["fct_document_receipts"] == f"MERGE {len(changed['incoming'])}"
    assert merged["fct_document_exchanges"] == f"MERGE {len(changed['events'])}"
    assert rebuilt["fct_documents"] == f"SELECT {len(records['outgoing'])}"
