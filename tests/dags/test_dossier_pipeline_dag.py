"""`airflow dags test` runs the dossier DAG for real: Airflow 3, the same PostgreSQL, the simulator over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kho.settings import Settings
from kho.warehouse import Warehouse
from tests.conftest import query

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = Path(sys.executable).with_name("airflow")


def airflow_env(home: Path, settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        **settings.as_env(),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    }


@pytest.mark.airflow
def test_dags_test_runs_the_pipeline_into_the_warehouse(tmp_path: Path, settings: Settings,
                                                        warehouse: Warehouse) -> None:
    env = airflow_env(tmp_path / "airflow", settings)
    subprocess.run([str(AIRFLOW), "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)

    run = subprocess.run([str(AIRFLOW), "dags", "test", "kho_dossier_pipeline", "2026-11-01"], env=env,
                         capture_output=True, text=True, timeout=600)

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "state=success" in run.stdout + run.stderr
    raw = query(warehouse, "select count(*) from raw.dossier__dossiers")[0][0]
    assert raw == 3000
    assert query(warehouse, "select sum(dossiers_received) from marts.shared_dossier_kpis_monthly")[0][0] == raw
    assert query(warehouse, "select status, received, loaded from ingest.load_log where entity = 'dossiers'") == [
        ("succeeded", 3000, 3000)]
    assert query(warehouse, "select count(*) from raw.dossier__procedures")[0][0] == 1758
    assert query(warehouse, "select count(distinct ma_ho_so) from raw.dossier__status_steps")[0][0] == 3000
    latest = settings.open_data_dir / "dossier-kpis-monthly" / "latest"
    assert {p.name for p in latest.iterdir()} == {"dossier-kpis-monthly.csv", "dossier-kpis-monthly.parquet",
                                                 "datapackage.json"}
