"""Shared fixtures: a real PostgreSQL (embedded, or the server KHO_DATABASE_URL names), a fresh database
per test, and the dossier simulator served over real HTTP.

`make test` runs the suite on two pytest-xdist workers (each with its own embedded server): a file's tests stay on
one worker, so its module fixtures are built once, and the files that read the `published` pipeline run share a
worker, so that run happens once. The slowest files are handed out first."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from kho.settings import Settings
from kho.warehouse import Warehouse, ensure_database, start_embedded, stop_embedded
from simulators.dossier.generate import DossierSimConfig
from simulators.dossier.server import DOSSIERS_PATH, DossierSimulator, DossierStores, build_stores
from simulators.faults import Faults

# Shared 2-core machines: a slow draw is the machine, not the strategy.
hypothesis_settings.register_profile("kho", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("kho")

# Small enough to build in a second, big enough for every status and channel, late dossiers (2019–2021),
# and both sides of the 1 July 2025 reorganisation.
TEST_SIM = DossierSimConfig(province="long-an", dossiers=3000, start=date(2019, 1, 1),
                            as_of=datetime(2025, 12, 31, 17, 0), seed=7)


# Files whose tests read the one pipeline run of tests/kho/conftest.py::published: scheduled as one unit.
PUBLISHED_READERS = ("tests/kho/test_portal.py", "tests/kho/test_publish.py", "tests/kho/test_quality_gates.py")
# The slowest units first (measured with --durations), so that neither worker is left with a long one at the end.
SLOWEST_FIRST = ("tests/dags/test_dag_runs.py", "tests/kho/test_pipeline.py", "published",
                 "tests/warehouse/test_health_education_warehouse.py", "tests/warehouse/test_dbt_project.py",
                 "tests/warehouse/test_document_warehouse.py", "tests/warehouse/test_land_civil_status_warehouse.py",
                 "tests/warehouse/test_access.py", "tests/dags/test_standalone.py")


def scheduling_unit(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return "published" if path in PUBLISHED_READERS else path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The scheduler sees test ids only, hence the list above; a reader left off it would run the pipeline again.
    unlisted = {item.nodeid.split("::", 1)[0] for item in items
                if "published" in getattr(item, "fixturenames", ())} - set(PUBLISHED_READERS)
    if unlisted:
        raise pytest.UsageError(f"add {sorted(unlisted)} to PUBLISHED_READERS in tests/conftest.py")

    def rank(item: pytest.Item) -> int:
        unit = scheduling_unit(item.nodeid)
        return SLOWEST_FIRST.index(unit) if unit in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=rank)  # stable: within a unit, and among the rest, the collection order stands


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scheduling_unit(nodeid)

    return UnitScheduling(config, log)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Warehouse]:
    """The server tests create their databases on: KHO_DATABASE_URL's, or an embedded one."""
    url = os.environ.get("KHO_DATABASE_URL")
    if url:
        yield Warehouse(url)
        return
    # A short folder: the server's Unix socket lives in it.
    folder = Path(tempfile.mkdtemp(prefix="kho-pg-"))
    server = start_embedded(folder / "pg")
    # A throwaway server: nothing in it must survive the machine crashing, so it need not wait for the disk
    # (creating a database from a template, every commit). Crash safety is about Kho's process being killed,
    # which PostgreSQL survives either way (tests/ingest/test_crash_safety.py).
    with server.connect(autocommit=True) as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(f"alter system set {setting} = off")
        conn.execute("select pg_reload_conf()")
    yield server
    stop_embedded(folder / "pg")
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def scratch_database(pg_server: Warehouse, template: str | None = None) -> Iterator[Warehouse]:
    """A new database on the tests' server (a unique name, so workers can share a server): empty, or a copy of the
    database `template`; dropped on the way out whatever happened."""
    name = f"kho_test_{uuid.uuid4().hex[:10]}"
    try:
        if template:
            with pg_server.connect(autocommit=True) as conn:
                conn.execute(f'create database "{name}" template "{template}"')
        yield ensure_database(pg_server, name)
    finally:
        with pg_server.connect(autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def warehouse(pg_server: Warehouse) -> Iterator[Warehouse]:
    """A fresh, empty database for one test, dropped afterwards."""
    with scratch_database(pg_server) as database:
        yield database


@pytest.fixture(scope="session")
def simulator_stores(tmp_path_factory: pytest.TempPathFactory) -> DossierStores:
    return build_stores(TEST_SIM, tmp_path_factory.mktemp("simulators"))


@pytest.fixture(scope="session")
def _running_simulator(simulator_stores: DossierStores) -> Iterator[DossierSimulator]:
    simulator = DossierSimulator(simulator_stores)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def dossier_simulator(_running_simulator: DossierSimulator) -> Iterator[DossierSimulator]:
    """The dossier system over HTTP, clean unless a test asks for faults (reset after each test)."""
    _running_simulator.faults = Faults()
    yield _running_simulator
    _running_simulator.faults = Faults()


def dossier_settings(folder: Path, warehouse: Warehouse, simulator: DossierSimulator) -> Settings:
    """Kho's settings for a test: its home and open data in folder, the dossier system the simulator."""
    return Settings.from_env({
        "KHO_HOME": str(folder / "home"),
        "KHO_OPEN_DATA_DIR": str(folder / "open_data"),
        "KHO_DATABASE_URL": warehouse.url,
        "KHO_DOSSIER_API_URL": simulator.url,
        "KHO_PAGE_SIZE": "500",
        "KHO_HTTP_ATTEMPTS": "3",
        "KHO_DBT_THREADS": "2",
    })


@pytest.fixture
def settings(tmp_path: Path, warehouse: Warehouse, dossier_simulator: DossierSimulator) -> Settings:
    return dossier_settings(tmp_path, warehouse, dossier_simulator)


def served_dossiers(simulator: DossierSimulator) -> list[dict]:
    """Every record the simulator serves now, read over HTTP without any of Kho's code."""
    records, url = [], f"{simulator.url}{DOSSIERS_PATH}?page_size=1000"
    while url:
        with urllib.request.urlopen(url) as response:
            page = json.load(response)
        records.extend(page["data"])
        url = page["next"]
    return records


def query(warehouse: Warehouse, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(warehouse.url) as conn:
        return conn.execute(sql, params or None).fetchall()
