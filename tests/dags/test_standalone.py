"""The README's "Run it under Airflow" path: `airflow standalone` with Kho's DAGs on one machine starts, parses
the DAGs, and runs one: a backfill (`airflow backfill create`) of the dossier ingest DAG, which re-extracts its
window into the warehouse without undoing anything and without moving the watermark back."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kho.pipeline import ingest_source
from kho.settings import Settings
from kho.warehouse import Warehouse
from tests.conftest import query
from tests.dags.airflow_run import AIRFLOW, airflow_env

DAG = "kho_ingest_dossier"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check: Callable[[], object], timeout: float, process: subprocess.Popen) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"airflow standalone exited ({process.returncode}) before {what}"
        try:
            found = check()
        except sqlite3.OperationalError:  # the metadata database is still being created
            found = None
        if found:
            return found
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def metadata(home: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(home / "airflow.db", timeout=30) as db:
        return db.execute(sql, params).fetchall()


def create_backfill(env: dict[str, str], day: str, attempts: int = 5) -> subprocess.CompletedProcess:
    """`airflow backfill create` of one day, as README tells a user to run it, and again (as README also says) when
    SQLite answers "database is locked". That answer comes at once, whatever the busy timeout: the command reads,
    then writes in the same transaction, and SQLite cannot upgrade a read whose snapshot the scheduler has since
    written past. Airflow removes the half-made backfill on that error so that the command can be run again."""
    for _ in range(attempts):
        created = subprocess.run([str(AIRFLOW), "backfill", "create", "--dag-id", DAG, "--from-date", day,
                                  "--to-date", day], env=env, capture_output=True, text=True, timeout=120)
        if created.returncode == 0 or "database is locked" not in created.stdout + created.stderr:
            return created
        time.sleep(2)
    return created


@pytest.mark.airflow
def test_standalone_starts_and_runs_a_backfill_of_an_ingest_dag(tmp_path: Path, settings: Settings,
                                                               warehouse: Warehouse) -> None:
    first = ingest_source("dossier", settings)["dossiers"]  # the regular load, up to the watermark
    assert first["status"] == "succeeded" and first["inserted"] == 3000

    home = tmp_path / "airflow"
    home.mkdir()
    # `airflow standalone` starts its components as `airflow …` from PATH: the venv's, as after `activate`.
    port = free_port()  # not 8080: the machine may run another Airflow; tasks reach the API server on it
    env = airflow_env(home, settings, warehouse, PATH=f"{AIRFLOW.parent}{os.pathsep}{os.environ['PATH']}",
                      AIRFLOW__API__PORT=str(port),
                      AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://localhost:{port}/execution/",
                      AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL="5", AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5")
    log = (home / "standalone.log").open("w")
    process = subprocess.Popen([str(AIRFLOW), "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        wait_for("the DAGs to be parsed", lambda: metadata(home, "select 1 from dag where dag_id = ?", DAG), 240,
                 process)
        subprocess.run([str(AIRFLOW), "dags", "unpause", DAG], env=env, check=True, capture_output=True, timeout=120)
        created = create_backfill(env, "2026-10-01T00:00:00+00:00")
        assert created.returncode == 0, created.stdout[-3000:] + created.stderr[-3000:]
        states = wait_for("the backfill run to finish", lambda: [s for (s,) in metadata(
            home, "select state from dag_run where dag_id = ? and run_type = 'backfill'", DAG)
            if s in ("success", "failed")], 240, process)
        assert states == ["success"], (home / "standalone.log").read_text()[-4000:]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()

    loads = query(warehouse, "select received, inserted, watermark_before, watermark_after from ingest.load_log "
                             "where entity = 'dossiers' and status = 'succeeded' order by load_id")
    # The backfill re-read the window's records (received) and changed nothing (inserted 0: idempotent);
    # the watermark stayed where the regular load left it. A scheduled run may have come in too (it re-reads
    # at most the record at the watermark).
    backfill = [row for row in loads[1:] if row[0] > 1]
    assert backfill, loads
    _received, inserted, before, after = backfill[0]
    assert inserted == 0 and before == after == loads[0][3]
