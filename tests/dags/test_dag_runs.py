"""`airflow dags test` runs Kho's DAGs for real: Airflow 3, the embedded PostgreSQL, the simulators over HTTP.

Two ingest DAGs run end to end (dossiers and documents: the two sources the marts are built from, small
simulated systems), then the dbt build with its gates, then publication; the other four ingest DAGs are the
same generated DAG with another source name, so the DagBag test checks them (each extra source would add
its own simulator and ~20 s here). One test, one metadata database, one warehouse: the DAGs depend on each
other's effects, as they do in production."""

from __future__ import annotations

import json
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest

from kho.settings import Settings
from kho.warehouse import Warehouse
from simulators.document.generate import DocumentSimConfig
from simulators.document.server import DocumentSimulator, build_stores
from tests.conftest import query
from tests.dags.airflow_run import airflow_env, dags_test, failure_report, migrate, task_seconds, webhook_receiver

DOCUMENTS = DocumentSimConfig(province="long-an", documents=1500, start=date(2024, 1, 1),
                              as_of=datetime(2025, 10, 2, 8, 0), seed=7)


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
    assert {"dbt.shared_dossier_kpis_monthly_model_build", "gate_after_ingest", "apply_access",
            "gate_before_publish"} <= set(seconds)
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
def test_a_failing_source_task_sends_the_alert_to_the_webhook(tmp_path: Path, settings: Settings,
                                                             warehouse: Warehouse) -> None:
    home = tmp_path / "airflow"
    with webhook_receiver() as (url, received):
        # Nothing listens on port 9: the source is unreachable. One try, no retry: the task fails at once.
        env = airflow_env(home, settings, warehouse, KHO_DOSSIER_API_URL="http://127.0.0.1:9",
                          KHO_HTTP_ATTEMPTS="1", KHO_SOURCE_RETRIES="0", KHO_ALERT_WEBHOOK_URL=url)
        migrate(env)
        run = dags_test(env, "kho_ingest_dossier")
    assert "state=failed" in run.stdout + run.stderr, run.stdout[-3000:] + run.stderr[-3000:]
    assert len(received) == 1, received
    alert = received[0]
    assert (alert["dag_id"], alert["task_id"]) == ("kho_ingest_dossier", "ingest_dossier")
    assert "127.0.0.1:9" in alert["error"] or "Connect" in alert["error"], alert
    assert alert["subject"] == "[Kho] kho_ingest_dossier.ingest_dossier failed"
    assert query(warehouse, "select count(*) from ingest.watermarks")[0][0] == 0  # nothing loaded
