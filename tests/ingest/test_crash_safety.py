"""SIGKILL an ingest process at several points of a load: afterwards the warehouse holds the old state or the
new one, and a rerun ends with exact counts, no duplicates, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest

from ingest.dossier import load_all
from ingest.dossier.contract import DOSSIERS
from ingest.schema import bootstrap, ensure_raw_table
from ingest.sources import LoadOptions
from kho.warehouse import Warehouse, ensure_database
from simulators.dossier.generate import DossierSimConfig
from simulators.dossier.server import DossierSimulator, build_stores
from simulators.faults import Faults
from tests.conftest import query
from tests.ingest.test_dossier_source import raw_state

REPO = Path(__file__).resolve().parents[2]
LOADER = """
import sys
from ingest.dossier import load_all
from ingest.sources import LoadOptions
load_all(sys.argv[1], sys.argv[2], LoadOptions(page_size=500, progress=lambda e, n: print(e, n, flush=True)))
print("done", flush=True)
"""
CRASH_SIM = DossierSimConfig(dossiers=20_000, start=date(2023, 1, 1), as_of=datetime(2025, 12, 31), seed=11)


@pytest.fixture(scope="module")
def slow_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DossierSimulator]:
    # Slow pages give the test time to strike in the middle of an extraction.
    simulator = DossierSimulator(build_stores(CRASH_SIM, tmp_path_factory.mktemp("crash")),
                                 Faults(slow_every=1, slow_seconds=0.03))
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def clean_state(pg_server: Warehouse, slow_simulator: DossierSimulator) -> Iterator[dict]:
    name = f"kho_test_{uuid.uuid4().hex[:10]}"
    reference = ensure_database(pg_server, name)
    load_all(reference.url, slow_simulator.url, LoadOptions(page_size=2000))
    yield raw_state(reference)
    with pg_server.connect(autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def start_loader(warehouse: Warehouse, simulator: DossierSimulator) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", LOADER, warehouse.url, simulator.url], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_line(process: subprocess.Popen, predicate) -> None:
    for line in process.stdout:
        if predicate(line.split()):
            return
    raise AssertionError(f"the loader ended first: {process.stderr.read()[-2000:]}")


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def wait_for_merge_blocked(warehouse: Warehouse, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = query(warehouse, "select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                                   "and query ilike '%%insert into raw.dossier__dossiers%%'")
        if waiting[0][0]:
            return
        time.sleep(0.05)
    raise AssertionError("the loader never reached its merge")


def strike_before_any_data(warehouse: Warehouse, simulator: DossierSimulator) -> None:
    process = start_loader(warehouse, simulator)
    time.sleep(0.05)
    kill(process)


def strike_mid_extraction(warehouse: Warehouse, simulator: DossierSimulator) -> None:
    process = start_loader(warehouse, simulator)
    wait_for_line(process, lambda words: words[0] == "dossiers" and int(words[1]) >= 6000)
    kill(process)


def strike_during_merge(warehouse: Warehouse, simulator: DossierSimulator) -> None:
    # Hold a lock the merge needs, so the loader is caught inside it with every record extracted; then kill it.
    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        bootstrap(conn)
        ensure_raw_table(conn, DOSSIERS)
    with psycopg.connect(warehouse.url) as blocker:
        blocker.execute("lock table raw.dossier__dossiers in share row exclusive mode")
        process = start_loader(warehouse, simulator)
        wait_for_merge_blocked(warehouse)
        kill(process)
    # The orphaned backend now runs its merge, finds its client gone, and rolls back: raw stays empty.


def strike_between_entities(warehouse: Warehouse, simulator: DossierSimulator) -> None:
    process = start_loader(warehouse, simulator)
    wait_for_line(process, lambda words: words[0] == "status_steps")
    kill(process)


STRIKES = {"before any data": strike_before_any_data, "mid extraction": strike_mid_extraction,
           "during the merge": strike_during_merge, "between entities": strike_between_entities}


@pytest.mark.parametrize("strike", STRIKES.values(), ids=STRIKES.keys())
def test_a_killed_load_leaves_old_or_new_state_and_a_rerun_completes_it(strike, warehouse: Warehouse,
                                                                        slow_simulator: DossierSimulator,
                                                                        clean_state: dict) -> None:
    strike(warehouse, slow_simulator)

    for entity, rows in raw_state_if_any(warehouse).items():
        keys = [row[0] for row in rows]
        assert len(keys) == len(set(keys)), f"{entity}: duplicate keys after the kill"
    if query(warehouse, "select to_regclass('ingest.load_log') is not null")[0][0]:
        assert query(warehouse, "select count(*) from ingest.load_log where status = 'succeeded' "
                                "and received <> loaded + quarantined + duplicates") == [(0,)]

    results = load_all(warehouse.url, slow_simulator.url, LoadOptions(page_size=2000))

    assert all(r.status == "succeeded" for r in results)
    assert raw_state(warehouse) == clean_state
    assert query(warehouse, "select count(*) from raw.dossier__dossiers")[0][0] == CRASH_SIM.dossiers


def raw_state_if_any(warehouse: Warehouse) -> dict[str, list[tuple]]:
    exists = query(warehouse, "select count(*) from information_schema.tables where table_schema = 'raw' "
                              "and table_name like 'dossier__%%'")[0][0]
    return raw_state(warehouse) if exists == 3 else {}
