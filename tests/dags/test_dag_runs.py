"""`airflow dags test` runs Kho's DAGs for real: Airflow 3, the embedded PostgreSQL, the simulators.

Two ingest DAGs run end to end before the dbt build with its gates and publication (dossiers and documents: the
two sources the marts are built from, small simulated systems); one test, one metadata database, one warehouse,
since those DAGs depend on each other's effects, as they do in production. The four sector ingest DAGs (health
and education drop folders, the land registry's database, the civil status API) run end to end in a second test,
one after another in one Airflow home, each against a tiny simulated source: what they load is asserted, the
build is not run again for them."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest

from ingest.civil_status import ENTITIES as CIVIL_STATUS_ENTITIES
from kho.settings import Settings
from kho.warehouse import Warehouse
from simulators.base import SimulationPlan
from simulators.civil_status.generate import CivilStatusSimConfig
from simulators.civil_status.server import CivilStatusSimulator
from simulators.civil_status.server import build_stores as civil_status_stores
from simulators.document.generate import DocumentSimConfig
from simulators.document.server import DocumentSimulator, build_stores
from simulators.education.drop import EducationDrop, EducationSimConfig
from simulators.health.drop import HealthDrop
from simulators.health.generate import HealthSimConfig
from simulators.land.database import running as land_registry
from tests.conftest import query
from tests.dags.airflow_run import (
    airflow_env,
    dags_test,
    failure_report,
    ingest_dags_only,
    migrate,
    smtp_receiver,
    task_seconds,
    webhook_receiver,
)

DOCUMENTS = DocumentSimConfig(province="long-an", documents=1500, start=date(2024, 1, 1),
                              as_of=datetime(2025, 10, 2, 8, 0), seed=7)
# The sector sources as small as they come: one day of health visits, one school year, 200 land dossiers,
# 300 civil status registrations.
HEALTH = HealthSimConfig(province="long-an", start=date(2025, 7, 1), as_of=datetime(2025, 7, 2), seed=5)
EDUCATION = EducationSimConfig(province="long-an", start=date(2025, 1, 1), as_of=datetime(2025, 12, 1), seed=5)
LAND = SimulationPlan(province="long-an", scale=2000, start=date(2024, 1, 1), as_of=datetime(2025, 12, 31, 17), seed=5)
CIVIL_STATUS = CivilStatusSimConfig(province="long-an", registrations=300, start=date(2024, 1, 1),
                                    as_of=datetime(2025, 12, 31, 17), seed=5)


def succeeded(run: subprocess.CompletedProcess, home: Path, dag_id: str) -> None:
    report = f"{run.stdout[-2000:]}{run.stderr[-2000:]}\n{failure_report(home, dag_id)}"
    assert run.returncode == 0, report
    assert "state=success" in run.stdout + run.stderr, report


@pytest.mark.airflow
def test_ingest_build_and_publish_dags_run_into_the_warehouse(tmp_path: Path, settings: Settings,
                                                              warehouse: Warehouse) -> None:
    home = tmp_path / "airflow"
    simulator = DocumentSimulator(build_stores(DOCUMENTS, tmp_path / "documents"))
    simulator.start()
    try:
        env = airflow_env(home, settings, warehouse, KHO_DOCUMENT_API_URL=simulator.url)
        migrate(env)
        for source in ("dossier", "document"):
            succeeded(dags_test(env, f"kho_ingest_{source}"), home, f"kho_ingest_{source}")
    finally:
        simulator.stop()

    assert query(warehouse, "select count(*) from raw.dossier__dossiers")[0][0] == 3000
    assert query(warehouse, "select status, received, loaded from ingest.load_log where entity = 'dossiers'") == [
        ("succeeded", 3000, 3000)]
    assert query(warehouse, "select count(*) from raw.document__outgoing_documents")[0][0] > 0
    assert query(warehouse, "select count(distinct source) from ingest.watermarks")[0][0] == 2

    succeeded(dags_test(env, "kho_build"), home, "kho_build")
    seconds = task_seconds(home, "kho_build")
    assert {"dbt.shared_dossier_kpis_monthly_model_build", "gate_after_ingest", "dbt_tests_after_models",
            "apply_access", "gate_before_publish"} <= set(seconds)
    assert query(warehouse, "select sum(dossiers_received) from marts.shared_dossier_kpis_monthly")[0][0] == 3000
    assert query(warehouse, "select count(*) from marts.shared_document_kpis_monthly")[0][0] > 0

    succeeded(dags_test(env, "kho_publish"), home, "kho_publish")
    latest = settings.open_data_dir / "dossier-kpis-monthly" / "latest"
    assert (latest / "datapackage.json").is_file()

    # The measured cost of each task, for docs/scaling.md (printed with -s; kept as a test artifact).
    timings = {dag: task_seconds(home, dag) for dag in ("kho_ingest_dossier", "kho_ingest_document",
                                                        "kho_build", "kho_publish")}
    (tmp_path / "task_seconds.json").write_text(json.dumps(timings, indent=2))
    print(json.dumps(timings, indent=2))


@pytest.mark.airflow
def test_a_failing_source_task_sends_the_alert_to_the_webhook_and_by_mail(tmp_path: Path, settings: Settings,
                                                                         warehouse: Warehouse) -> None:
    home = tmp_path / "airflow"
    with webhook_receiver() as (url, received), smtp_receiver() as (smtp_port, mailed):
        # Nothing listens on port 9: the source is unreachable. One try, no retry: the task fails at once.
        env = airflow_env(home, settings, warehouse, KHO_DOSSIER_API_URL="http://127.0.0.1:9",
                          KHO_HTTP_ATTEMPTS="1", KHO_SOURCE_RETRIES="0", KHO_ALERT_WEBHOOK_URL=url,
                          KHO_ALERT_SMTP_HOST="127.0.0.1", KHO_ALERT_SMTP_PORT=str(smtp_port),
                          KHO_ALERT_SMTP_STARTTLS="false", KHO_ALERT_SMTP_TO="ops@example.vn",
                          **ingest_dags_only(tmp_path / "dags"))
        migrate(env)
        run = dags_test(env, "kho_ingest_dossier")
    assert "state=failed" in run.stdout + run.stderr, run.stdout[-3000:] + run.stderr[-3000:]
    assert len(received) == 1, received
    alert = received[0]
    assert (alert["dag_id"], alert["task_id"]) == ("kho_ingest_dossier", "ingest_dossier")
    assert "127.0.0.1:9" in alert["error"] or "Connect" in alert["error"], alert
    assert alert["subject"] == "[Kho] kho_ingest_dossier.ingest_dossier failed"
    [mail] = mailed
    assert mail["to"] == ["ops@example.vn"] and mail["message"]["Subject"] == alert["subject"]
    assert alert["error"] in mail["message"].get_content()
    assert query(warehouse, "select count(*) from ingest.watermarks")[0][0] == 0  # nothing loaded


def csv_rows(folder: Path) -> int:
    """Data rows in the health drop's CSV files, counted without Kho's code (one header line each)."""
    return sum(len(path.read_bytes().splitlines()) - 1 for path in folder.glob("kcb_*.csv"))


def sheet_rows(folder: Path, sheet: str) -> int:
    """Data rows of a sheet in the education workbooks, counted with openpyxl alone (header in row 1)."""
    import openpyxl

    total = 0
    for path in folder.glob("*.xlsx"):
        workbook = openpyxl.load_workbook(path, read_only=True)
        total += sum(1 for row in workbook[sheet].iter_rows(min_row=2, values_only=True) if any(row))
        workbook.close()
    return total


@pytest.mark.airflow
def test_the_sector_ingest_dags_run_into_the_warehouse(tmp_path: Path, settings: Settings, warehouse: Warehouse,
                                                      pg_server: Warehouse) -> None:
    home = tmp_path / "airflow"
    health, education = HealthDrop(HEALTH, tmp_path / "health"), EducationDrop(EDUCATION, tmp_path / "education")
    health.deliver()
    education.deliver()
    civil_status = CivilStatusSimulator(civil_status_stores(CIVIL_STATUS, tmp_path / "civil_status"))
    civil_status.start()
    started = time.perf_counter()
    try:
        with land_registry(LAND, pg_server.url, f"land_{uuid.uuid4().hex[:10]}") as land:
            env = airflow_env(home, settings, warehouse, KHO_HEALTH_DROP_DIR=str(health.folder),
                              KHO_EDUCATION_DROP_DIR=str(education.folder), KHO_LAND_DATABASE_URL=land.url,
                              KHO_CIVIL_STATUS_API_URL=civil_status.url, **ingest_dags_only(tmp_path / "dags"))
            migrate(env)
            wall = {}
            for source in ("health", "education", "land", "civil_status"):
                began = time.perf_counter()
                run = dags_test(env, f"kho_ingest_{source}")
                succeeded(run, home, f"kho_ingest_{source}")
                wall[source] = round(time.perf_counter() - began, 1)
            land_rows = land.count()
    finally:
        civil_status.stop()
    # For docs/scaling.md (printed with -s): each `airflow dags test` run's wall time and its task's own time.
    print(json.dumps({"total_seconds": round(time.perf_counter() - started, 1), "dags_test_wall": wall,
                      "task_seconds": {s: task_seconds(home, f"kho_ingest_{s}") for s in wall}}, indent=2))

    expected = {
        "health__visits": csv_rows(health.folder),
        "education__schools": sheet_rows(education.folder, "Trường học"),
        "education__enrolment": sheet_rows(education.folder, "Học sinh"),
        "land__registrations": land_rows,
        **{f"civil_status__{entity}": CIVIL_STATUS.count(entity) for entity in CIVIL_STATUS_ENTITIES},
    }
    assert all(expected.values()), expected
    loaded = {table: query(warehouse, f"select count(*) from raw.{table}")[0][0] for table in expected}
    assert loaded == expected
    # One load per entity, each by its DAG's task, received = loaded (clean sources), nothing quarantined.
    log = query(warehouse, "select source || '__' || entity, status, received, loaded, quarantined "
                           "from ingest.load_log order by load_id")
    assert log == [(table, "succeeded", rows, rows, 0) for table, rows in expected.items()]
    assert query(warehouse, "select source, status, count(*) from ingest.files group by 1, 2 order by 1") == [
        ("education", "loaded", 2), ("health", "loaded", 1)]  # the workbook once per sheet
    assert query(warehouse, "select count(*) from ingest.watermarks")[0][0] == len(expected)
    assert set(task_seconds(home, "kho_ingest_land")) == {"ingest_land"}
