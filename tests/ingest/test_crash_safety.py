"""SIGKILL an ingest process at several points of a load: afterwards the warehouse holds the old state or the
new one, and a rerun ends with exact counts, no duplicates, nothing lost. Three paths: the dossier API (HTTP),
the health drop folder (CSV files, a first delivery and a corrected re-delivery whose old rows must go) and the
land registry's source database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest

from ingest import health, land
from ingest.dossier import load_all
from ingest.dossier.contract import DOSSIERS
from ingest.files import ensure_ledger
from ingest.health.contract import VISITS
from ingest.land.contract import REGISTRATIONS
from ingest.schema import bootstrap, ensure_raw_table
from ingest.sources import LoadOptions
from kho.warehouse import Warehouse
from simulators.base import SimulationPlan
from simulators.dossier.generate import DossierSimConfig
from simulators.dossier.server import DossierSimulator, build_stores
from simulators.faults import Faults
from simulators.health.drop import HealthDrop, HealthFaults
from simulators.land.database import LandRegistry, running
from tests.conftest import query, scratch_database
from tests.ingest.test_dossier_source import raw_state
from tests.ingest.test_health_source import CONFIG as HEALTH
from tests.ingest.test_health_source import files_in
from tests.ingest.test_health_source import raw_state as health_state
from tests.ingest.test_land_source import raw_state as land_state

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
    with scratch_database(pg_server) as reference:
        load_all(reference.url, slow_simulator.url, LoadOptions(page_size=2000))
        yield raw_state(reference)


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
        # A first load COPYs pages straight into the raw table; a later one merges into it.
        waiting = query(warehouse, "select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                                   "and (query ilike '%%insert into raw.dossier__dossiers%%'"
                                   " or query ilike 'copy raw.dossier__dossiers%%')")
        if waiting[0][0]:
            return
        time.sleep(0.05)
    raise AssertionError("the loader never reached its write into raw")


def strike_before_any_data(warehouse: Warehouse, simulator: DossierSimulator) -> None:
    process = start_loader(warehouse, simulator)
    time.sleep(0.05)
    kill(process)


def strike_mid_extraction(warehouse: Warehouse, simulator: DossierSimulator) -> None:
    process = start_loader(warehouse, simulator)
    wait_for_line(process, lambda words: words[0] == "dossiers" and int(words[1]) >= 6000)
    kill(process)


def strike_during_merge(warehouse: Warehouse, simulator: DossierSimulator) -> None:
    # Hold a lock every write into raw needs, so the loader is caught inside it (a first load: its first COPY into
    # the raw table; a later one: its merge, with every record extracted); then kill it.
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


# ----------------------------------------------------------------------------- drop folder and source database

# Any source's load_all, slowed between pages (the progress callback sleeps) so a strike lands mid-extraction.
SOURCE_LOADER = """
import importlib, sys, time
from ingest.sources import LoadOptions
def progress(entity, n):
    print(entity, n, flush=True)
    time.sleep(0.05)
module, warehouse, location, page_size = sys.argv[1:5]
importlib.import_module(module).load_all(warehouse, location, LoadOptions(page_size=int(page_size), progress=progress))
print("done", flush=True)
"""
LAND = SimulationPlan(scale=3000, start=date(2023, 1, 1), as_of=datetime(2025, 12, 31, 17, 0), seed=11)  # 300 rows


@dataclass(frozen=True)
class Target:
    module: str  # the source package whose load_all the loader runs
    location: str  # its drop folder or database URL
    page_size: int
    table: str  # the raw table


def start_source_loader(warehouse: Warehouse, target: Target) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SOURCE_LOADER, target.module, warehouse.url, target.location,
                             str(target.page_size)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def strike_mid_load(warehouse: Warehouse, target: Target) -> None:
    process = start_source_loader(warehouse, target)
    wait_for_line(process, lambda words: words[0] != "done" and int(words[1]) >= 3 * target.page_size)
    kill(process)


def strike_blocked_on(table: str) -> Callable[[Warehouse, Target], None]:
    """Kill the loader while it waits for a lock on `table` to write it: the raw table (its merge, or a first load's
    COPY straight into raw), or, with the rows already written in its transaction, the watermark or the ledger."""
    def strike(warehouse: Warehouse, target: Target) -> None:
        with psycopg.connect(warehouse.url) as blocker:
            blocker.execute(f"lock table {table} in share row exclusive mode")
            process = start_source_loader(warehouse, target)
            deadline = time.monotonic() + 60
            waiting = ("select count(*) from pg_stat_activity where datname = current_database()"
                       " and wait_event_type = 'Lock' and (query ilike %s or query ilike %s)")
            # A first load COPYs straight into the raw table; a later one merges into it.
            while not query(warehouse, waiting, f"%insert into {table}%", f"copy {table}%")[0][0]:
                assert time.monotonic() < deadline and process.poll() is None, "the loader never reached " + table
                time.sleep(0.05)
            kill(process)
    return strike


def prepared(warehouse: Warehouse, contract) -> None:
    """The tables a strike locks exist before the loader starts (a first load would create them)."""
    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        bootstrap(conn)
        ensure_raw_table(conn, contract)
    ensure_ledger(warehouse.url)


def after_the_strike(warehouse: Warehouse, states: list, state: Callable[[Warehouse], list]) -> None:
    """All or nothing: the raw table is one of `states` (before the load, or after it), the load log balances."""
    assert state(warehouse) in states, "the kill left a partial load behind"
    assert query(warehouse, "select count(*) from ingest.load_log where status = 'succeeded' "
                            "and received <> loaded + quarantined + duplicates") == [(0,)]


HEALTH_STRIKES = {"mid extraction": strike_mid_load, "writing raw": strike_blocked_on(VISITS.table),
                  "at the file ledger": strike_blocked_on("ingest.files")}


@pytest.fixture(scope="module")
def health_clean(pg_server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    folder = tmp_path_factory.mktemp("crash-health") / "drop"
    HealthDrop(HEALTH, folder).deliver()
    with scratch_database(pg_server) as reference:
        health.load_all(reference.url, str(folder), LoadOptions(page_size=500))
        yield health_state(reference)


@pytest.mark.parametrize("corrected", [False, True], ids=["first delivery", "corrected re-delivery"])
@pytest.mark.parametrize("strike", HEALTH_STRIKES.values(), ids=HEALTH_STRIKES.keys())
def test_a_killed_drop_folder_load_is_all_or_nothing_and_a_rerun_completes_it(
        strike, corrected: bool, warehouse: Warehouse, tmp_path: Path, health_clean: list) -> None:
    drop = HealthDrop(HEALTH, tmp_path / "drop")
    prepared(warehouse, VISITS)
    before: list = []
    if corrected:  # a file with wrong figures was loaded; its correction is now in the folder
        drop.deliver(HealthFaults(corrected=True))
        health.load_all(warehouse.url, str(drop.folder), LoadOptions(page_size=500))
        before = health_state(warehouse)
        assert before != health_clean
    drop.deliver()
    strike(warehouse, Target("ingest.health", str(drop.folder), 100, VISITS.table))
    after_the_strike(warehouse, [before, health_clean], health_state)

    [result] = health.load_all(warehouse.url, str(drop.folder), LoadOptions(page_size=500))

    assert result.status == "succeeded"
    assert health_state(warehouse) == health_clean  # the wrong version's rows are gone, nothing twice
    assert query(warehouse, "select count(*) from raw.health__visits") == [(files_in(drop.folder),)]
    # One ledger row per file version that loaded: the four files, and the wrong version of the corrected one.
    assert query(warehouse, "select count(*) from ingest.files where status = 'loaded'") == [(5 if corrected else 4,)]


LAND_STRIKES = {"mid extraction": strike_mid_load, "writing raw": strike_blocked_on(REGISTRATIONS.table),
                "at the watermark": strike_blocked_on("ingest.watermarks")}


@pytest.fixture(scope="module")
def land_registry(pg_server: Warehouse) -> Iterator[LandRegistry]:
    with running(LAND, pg_server.url, f"land_crash_{uuid.uuid4().hex[:10]}") as registry:
        yield registry


@pytest.fixture(scope="module")
def land_clean(pg_server: Warehouse, land_registry: LandRegistry) -> list[tuple]:
    with scratch_database(pg_server) as reference:
        land.load_all(reference.url, land_registry.url, LoadOptions(page_size=100))
        yield land_state(reference)


@pytest.mark.parametrize("strike", LAND_STRIKES.values(), ids=LAND_STRIKES.keys())
def test_a_killed_source_database_load_is_all_or_nothing_and_a_rerun_completes_it(
        strike, warehouse: Warehouse, land_registry: LandRegistry, land_clean: list) -> None:
    prepared(warehouse, REGISTRATIONS)
    strike(warehouse, Target("ingest.land", land_registry.url, 20, REGISTRATIONS.table))
    after_the_strike(warehouse, [[], land_clean], land_state)
    assert query(warehouse, "select count(*) from ingest.watermarks") == [(0,)]  # nothing committed

    [result] = land.load_all(warehouse.url, land_registry.url, LoadOptions(page_size=100))

    assert result.status == "succeeded" and result.received == result.loaded == land_registry.count()
    assert land_state(warehouse) == land_clean
