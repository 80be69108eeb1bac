"""The data-quality marts score each source system and each agency, month by month, from what Kho recorded: a
faulty dossier delivery, a health feed that arrived on two days of a month and then stopped, and the gates' verdicts.
Every score is recomputed here in Python from the load log, the quarantine and the gate results."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import psycopg
import pytest

from kho.pipeline import ingest_source
from kho.quality import run_gate
from kho.settings import Settings
from kho.transform import build
from kho.warehouse import Warehouse
from simulators.dossier.server import DossierSimulator
from simulators.faults import Faults
from tests.conftest import query

VN = timedelta(hours=7)
AGENCY_PREFIX = re.compile(r"^([0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2})-")
# A daily feed that delivered on 1 and 4 October 2026 (Vietnam time), then nothing.
HEALTH_LOADS = [datetime(2026, 10, 1, 3, tzinfo=UTC), datetime(2026, 10, 4, 3, tzinfo=UTC)]


def pct(numerator: float, denominator: float) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(100) * Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def month_of(moment: datetime) -> str:
    return (moment + VN).strftime("%Y-%m-01")


@pytest.fixture
def scored(settings: Settings, warehouse: Warehouse, dossier_simulator: DossierSimulator) -> Warehouse:
    dossier_simulator.faults = Faults(malformed_rate=0.05)
    ingest_source("dossier", settings)
    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        for finished in HEALTH_LOADS:
            conn.execute("insert into ingest.load_log (load_id, source, entity, status, started_at, finished_at, "
                         "received, loaded, quarantined, duplicates) values (nextval('ingest.load_id_seq'), "
                         "'health', 'visits', 'succeeded', %s, %s, 10, 10, 0, 0)", (finished, finished))
    assert run_gate(settings, warehouse, "after_ingest").success
    build(settings, warehouse, "--indirect-selection", "cautious", "--select", "+open_data_quality_monthly",
          "+shared_data_quality_monthly")
    return warehouse


def test_each_source_and_each_agency_is_scored(scored: Warehouse) -> None:
    # One build serves both checks (it is the slow part).
    check_sources(scored)
    check_agencies(scored)


def check_sources(scored: Warehouse) -> None:
    """Completeness, timeliness and validity per source system and month."""
    loads = query(scored, "select source, finished_at, status, received, loaded, quarantined, duplicates "
                          "from ingest.load_log")
    as_of = max(finished for _, finished, *_ in loads)
    published = {(row[0].isoformat(), row[1]): row[2:] for row in query(
        scored, "select month, source_name, records_received, records_quarantined, completeness_pct, "
                "intervals_with_load, intervals_expected, timeliness_pct, expectations_evaluated, validity_pct "
                "from marts.open_data_quality_monthly")}

    # Completeness: the dossier system's faulty delivery, month of the loads.
    dossier_loads = [row for row in loads if row[0] == "dossier" and row[2] == "succeeded"]
    received = sum(row[3] for row in dossier_loads)
    quarantined = sum(row[5] for row in dossier_loads)
    duplicates = sum(row[6] for row in dossier_loads)
    month = month_of(as_of)
    row = published[(month, "dossier")]
    assert quarantined > 0 and row[:3] == (received, quarantined, pct(received - quarantined - duplicates,
                                                                      received))
    # Validity: the gate's expectations on the dossier system's raw tables that month.
    results = query(scored, "select success from quality.gate_results where suite like 'raw\\_dossier\\_\\_%'")
    assert row[6:] == (len(results), pct(sum(1 for (ok,) in results if ok), len(results)))

    # Timeliness: a daily feed, scored from its first load to the end of each month (or the last load Kho made).
    first = HEALTH_LOADS[0]
    october_end = datetime(2026, 11, 1, tzinfo=UTC) - VN
    october_expected = math.ceil((october_end - first).total_seconds() / 86400)
    assert published[("2026-10-01", "health")][3:6] == (2, october_expected, pct(2, october_expected))
    # November: nothing arrived, and that is scored, not skipped.
    assert published[("2026-11-01", "health")][3:6] == (0, 30, Decimal("0.00"))
    assert published[("2026-11-01", "health")][1] == 0


def check_agencies(scored: Warehouse) -> None:
    """Each agency's own record: its records loaded and refused, month by month."""
    refused: dict[tuple[str, str], int] = {}
    for key, quarantined_at in query(scored, "select record_key, quarantined_at from raw._quarantine "
                                             "where source = 'dossier'"):
        match = AGENCY_PREFIX.match(key or "")
        if match:
            refused[(match[1], month_of(quarantined_at))] = refused.get((match[1], month_of(quarantined_at)), 0) + 1
    loaded = {(agency, month_of(finished)): count for agency, finished, count in query(
        scored, "select d.ma_co_quan_tiep_nhan, l.finished_at, count(*) from raw.dossier__dossiers d "
                "join ingest.load_log l on l.load_id = d._load_id group by 1, 2")}
    shared = {(agency, month.isoformat()): (records_loaded, records_quarantined, rate) for
              agency, month, records_loaded, records_quarantined, rate in query(
                  scored, "select agency_code, month, records_loaded, records_quarantined, quarantine_rate_pct "
                          "from marts.shared_data_quality_monthly where source_name = 'dossier'")}

    assert refused and set(shared) == set(loaded) | set(refused)
    for key, (records_loaded, records_quarantined, rate) in shared.items():
        assert (records_loaded, records_quarantined) == (loaded.get(key, 0), refused.get(key, 0)), key
        assert rate == pct(records_quarantined, records_loaded + records_quarantined)
    # The shared mart is scoped by agency like every shared mart (row-level security reads agency_code).
    assert query(scored, "select count(*) from marts.shared_data_quality_monthly where agency_code is null") == [(0,)]
