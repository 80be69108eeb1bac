"""Running Kho's DAGs for real: a throwaway AIRFLOW_HOME (SQLite metadata), Kho's settings, `airflow` CLI."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kho.settings import Settings
from kho.warehouse import Warehouse

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = Path(sys.executable).with_name("airflow")


def airflow_env(home: Path, settings: Settings, warehouse: Warehouse, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **settings.as_env(),
        # What profiles.yml reads, for the `dbt ls` cosmos runs when it parses the build DAG.
        **warehouse.dbt_env(),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        # No network here, and none wanted: cosmos must not send usage statistics.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        **extra,
    }


_MIGRATED: list[Path] = []  # the metadata database `airflow db migrate` made once in this test session


def migrate(env: dict[str, str]) -> None:
    """A migrated, empty metadata database in env's AIRFLOW_HOME: `airflow db migrate` runs once per test session
    (several seconds); every later home gets a copy of that SQLite file."""
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    if not _MIGRATED:
        template = Path(tempfile.mkdtemp(prefix="kho-airflow-db-"))
        atexit.register(shutil.rmtree, template, ignore_errors=True)
        subprocess.run([str(AIRFLOW), "db", "migrate"], check=True, capture_output=True, timeout=300,
                       env={**env, "AIRFLOW_HOME": str(template),
                            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{template / 'airflow.db'}"})
        _MIGRATED.append(template / "airflow.db")
    shutil.copyfile(_MIGRATED[0], home / "airflow.db")


def dags_test(env: dict[str, str], dag_id: str, logical_date: str = "2026-11-01",
              dag_file: str | None = None) -> subprocess.CompletedProcess:
    """`airflow dags test`; with `dag_file` (a file in dags/) only that file is parsed, not the whole folder (the
    build's cosmos `dbt ls` costs ~12 s per cold parse)."""
    file_args = ["--dagfile-path", str(REPO / "dags" / dag_file)] if dag_file else []
    return subprocess.run([str(AIRFLOW), "dags", "test", dag_id, logical_date, *file_args], env=env,
                          capture_output=True, text=True, timeout=900)


def task_seconds(home: Path, dag_id: str) -> dict[str, float]:
    """How long each task of the DAG's runs took, from the metadata database: {task_id: seconds}."""
    with sqlite3.connect(home / "airflow.db") as db:
        rows = db.execute("select task_id, duration from task_instance where dag_id = ? and duration is not null",
                          (dag_id,)).fetchall()
    return {task_id: round(duration, 2) for task_id, duration in rows}


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, list[dict]]]:
    """A real HTTP server on localhost that records every JSON body POSTed to it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def failure_report(home: Path, dag_id: str) -> str:
    """The tasks of the DAG that did not succeed, each with the end of its log: what a failed assertion shows."""
    with sqlite3.connect(home / "airflow.db") as db:
        failed = db.execute("select task_id, state from task_instance where dag_id = ? and state != 'success'",
                            (dag_id,)).fetchall()
    lines = [f"{task_id}: {state}" for task_id, state in failed]
    for task_id, state in failed:
        if state in ("failed", "up_for_retry"):
            for log in sorted((home / "logs" / f"dag_id={dag_id}").glob(f"*/task_id={task_id}/*.log")):
                lines.append(f"--- {log.name}\n" + log.read_text(errors="replace")[-3000:])
    return "\n".join(lines)
