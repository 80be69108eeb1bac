"""The whole pipeline on a real PostgreSQL, real dbt, real GX and the simulator over HTTP."""

from __future__ import annotations

import csv

from kho.pipeline import run_pipeline
from kho.settings import Settings
from kho.warehouse import Warehouse
from simulators.dossier.server import DossierSimulator
from simulators.faults import Faults
from tests.conftest import query

MART_COLUMNS = ("month, agency_code, dossiers_received, dossiers_received_online, online_rate_pct, "
                "dossiers_resolved, dossiers_resolved_on_time, on_time_rate_pct")


def mart_kpis(warehouse: Warehouse, table: str) -> dict[tuple[str, str], tuple]:
    rows = query(warehouse, f"select {MART_COLUMNS} from marts.{table}")
    return {(row[0].isoformat(), row[1]): tuple(row[2:]) for row in rows}


def test_rerun_is_idempotent(settings: Settings, warehouse: Warehouse) -> None:
    first = run_pipeline(settings)
    assert first.success, first.error
    # The open mart is published as built (the indicators themselves and the small-cell rule:
    # tests/warehouse/test_dossier_kpis.py; every format of every dataset: tests/kho/test_portal.py).
    published = mart_kpis(warehouse, "open_dossier_kpis_monthly")
    csv_path = settings.open_data_dir / "dossier-kpis-monthly" / "latest" / "dossier-kpis-monthly.csv"
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == len(published)
    tables = ("raw.dossier__dossiers", "warehouse.fct_dossiers", "marts.shared_dossier_kpis_monthly",
              "marts.open_dossier_kpis_monthly")
    counts_after_first = {t: query(warehouse, f"select count(*) from {t}")[0][0] for t in tables}
    mart_after_first = mart_kpis(warehouse, "shared_dossier_kpis_monthly")

    second = run_pipeline(settings)

    assert second.success, second.error
    assert {t: query(warehouse, f"select count(*) from {t}")[0][0] for t in tables} == counts_after_first
    assert mart_kpis(warehouse, "shared_dossier_kpis_monthly") == mart_after_first
    rerun = second.ingests["dossier.dossiers"]
    assert rerun["inserted"] == rerun["updated"] == 0  # only records at the watermark are read again
    assert rerun["received"] == rerun["loaded"] + rerun["quarantined"] + rerun["duplicates"]


def test_malformed_records_are_quarantined_with_their_reason(settings: Settings, warehouse: Warehouse,
                                                              dossier_simulator: DossierSimulator) -> None:
    dossier_simulator.faults = Faults(malformed_rate=0.05)

    summary = run_pipeline(settings)

    result = summary.ingests["dossier.dossiers"]
    assert result["quarantined"] > 0, (summary.error, result)
    assert result["received"] == result["loaded"] + result["quarantined"] + result["duplicates"]
    assert query(warehouse, "select count(*) from raw.dossier__dossiers")[0][0] == result["loaded"]
    reasons = [r for (r,) in query(warehouse, "select reason from raw._quarantine where entity = 'dossiers'")]
    assert len(reasons) == result["quarantined"]
    for expected_reason in ("MaHoSo: required field is missing", "KenhThucHien: expected an integer",
                            "MaCoQuanTiepNhan: 'SỞ-TƯ-PHÁP' does not match the expected format",
                            "NgayTiepNhan:", "TenTTHC: "):
        assert any(expected_reason in reason for reason in reasons), expected_reason
    logged = query(warehouse, "select received, loaded, quarantined, duplicates from ingest.load_log "
                              "where status = 'succeeded' and entity = 'dossiers'")
    assert logged == [(result["received"], result["loaded"], result["quarantined"], result["duplicates"])]
    # The pipeline carries on with the good records.
    assert summary.success, summary.error


# That a failed gate also leaves the previously published version in place, for each gate: tests/kho/
# test_quality_gates.py::test_a_batch_breaking_each_kind_of_expectation_fails_its_gate_and_nothing_after_it_runs.
def test_failed_gate_publishes_nothing_and_names_the_expectation(settings: Settings,
                                                                  dossier_simulator: DossierSimulator) -> None:
    dossier_simulator.faults = Faults(inconsistent_rate=0.2)  # finished before received

    summary = run_pipeline(settings)

    assert summary.failed_step == "gate:after_ingest"
    failures = summary.gates["after_ingest"]["failures"]
    assert len(failures) == 1
    assert "expect_column_pair_values_a_to_be_greater_than_b" in failures[0]
    assert "ngay_ket_thuc_xu_ly" in failures[0]
    assert summary.build is None and summary.publish is None
    assert not settings.open_data_dir.exists() or not any(settings.open_data_dir.rglob("*.csv"))
