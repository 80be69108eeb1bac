"""Running Kho's DAGs for real: a throwaway AIRFLOW_HOME (SQLite metadata), Kho's settings, `airflow` CLI."""

from __future__ import annotations

import atexit
import base64
import email
import email.policy
import json
import os
import shutil
import socketserver
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


def sqlite_metadata(home: Path) -> str:
    """The metadata database's URL: SQLite in the Airflow home, with a writer waiting up to a minute for another's
    lock instead of SQLite's 5 s (under `airflow standalone`, a CLI's write can wait behind the scheduler's)."""
    return f"sqlite:///{home / 'airflow.db'}?timeout=60"


def airflow_env(home: Path, settings: Settings, warehouse: Warehouse, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **settings.as_env(),
        # What profiles.yml reads, for the `dbt ls` cosmos runs when it parses the build DAG.
        **warehouse.dbt_env(),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlite_metadata(home),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        # No network here, and none wanted: cosmos must not send usage statistics.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        # Its own cache of `dbt ls` and dbt's partial parse (else one folder under /tmp shared by test workers).
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos"),
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
                            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlite_metadata(template)})
        _MIGRATED.append(template / "airflow.db")
    shutil.copyfile(_MIGRATED[0], home / "airflow.db")


def dags_test(env: dict[str, str], dag_id: str, logical_date: str = "2026-11-01") -> subprocess.CompletedProcess:
    return subprocess.run([str(AIRFLOW), "dags", "test", dag_id, logical_date], env=env, capture_output=True,
                          text=True, timeout=900)


def ingest_dags_only(folder: Path) -> dict[str, str]:
    """A DAGs folder holding only the ingest DAGs' file (and what it imports), as env overrides: `airflow dags
    test` parses its whole DAG bundle on every run (even with --dagfile-path), and the build's file costs a
    cosmos `dbt ls` (~12 s) whenever the dbt project changed. Runs of ingest DAGs alone do not need it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("kho_ingest.py", "_kho.py", ".airflowignore"):
        shutil.copyfile(REPO / "dags" / name, folder / name)
    return {"AIRFLOW__CORE__DAGS_FOLDER": str(folder)}


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


@contextmanager
def smtp_receiver() -> Iterator[tuple[int, list[dict]]]:
    """A real SMTP server on localhost (the plain subset smtplib speaks: EHLO, AUTH PLAIN, MAIL, RCPT, DATA,
    QUIT; no TLS) that records every message with its envelope: yields (port, [{"from", "to", "auth",
    "message"}])."""
    received: list[dict] = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:  # the name socketserver calls
            def reply(text: str) -> None:
                self.wfile.write(f"{text}\r\n".encode())

            reply("220 kho-test ESMTP")
            envelope: dict = {"from": None, "to": [], "auth": None}
            while line := self.rfile.readline():
                command = line.decode("utf-8", "replace").rstrip("\r\n")
                verb, _, argument = command.partition(" ")
                verb = verb.upper()
                if verb == "EHLO":
                    reply("250-kho-test")
                    reply("250-8BITMIME")
                    reply("250 AUTH PLAIN")
                elif verb == "HELO":
                    reply("250 kho-test")
                elif verb == "AUTH" and argument.upper().startswith("PLAIN "):
                    _, user, password = base64.b64decode(argument.split()[1]).decode().split("\0")
                    envelope["auth"] = (user, password)
                    reply("235 2.7.0 Authentication successful")
                elif verb == "MAIL":
                    envelope["from"] = argument.partition("<")[2].partition(">")[0]
                    reply("250 OK")
                elif verb == "RCPT":
                    envelope["to"].append(argument.partition("<")[2].partition(">")[0])
                    reply("250 OK")
                elif verb == "DATA":
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    lines = []
                    while (data := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                        lines.append(data[1:] if data.startswith(b"..") else data)  # undo dot-stuffing
                    message = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
                    received.append({**envelope, "message": message})
                    envelope = {"from": None, "to": [], "auth": envelope["auth"]}
                    reply("250 OK queued")
                elif verb in ("RSET", "NOOP"):
                    reply("250 OK")
                elif verb == "QUIT":
                    reply("221 Bye")
                    return
                else:
                    reply("502 5.5.2 Command not implemented")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], received
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
